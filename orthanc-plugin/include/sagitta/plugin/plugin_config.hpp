// SPDX-License-Identifier: GPL-3.0-or-later
// The "Sagitta" section of Orthanc's configuration, read once into a typed struct and validated
// at start-up (config/orthanc-sagitta.json is the annotated example).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sagitta/plugin/routing.hpp"

namespace sagitta::plugin {

class PluginConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Retries of a result forward that failed (destination down, refused): exponential backoff.
struct ForwardingConfig {
  int maxAttempts = 10;
  double backoffSeconds = 10.0;      // wait after the first failure, doubled after each next one
  double maxBackoffSeconds = 600.0;  // the longest wait
  // A send Orthanc holds Paused or in Retry this long is cancelled and counted as a failed
  // attempt, so that it is sent again instead of staying "sending".
  double stalledSeconds = 300.0;
};

struct PluginConfig {
  bool enable = true;
  std::string modelBundle;          // required when enabled
  std::string device = "auto";
  int workers = 1;                  // analyses in parallel
  int inferenceThreads = 2;         // LibTorch intra-op threads (Orthanc's default would be 1)
  // The job queue: a SQLite path (default <StorageDirectory>/sagitta-jobs.db, one node) or a
  // PostgreSQL connection string (sharedQueue: every node on it shares the queue).
  std::string database;
  bool sharedQueue = false;
  std::string node;                 // Sagitta.Node; default <hostname>:<HttpPort>
  double leaseSeconds = 30.0;       // Sagitta.LeaseSeconds: a stopped node's claims return after this
  bool writeStructuredReport = true;
  bool writeSecondaryCapture = true;
  bool writePdfReport = false;      // the one-page Encapsulated PDF for the clinic (Outputs.PdfReport)
  std::size_t maxPixels = 120'000'000;
  std::size_t maxFileBytes = 512U << 20U;
  int maxAttempts = 3;
  std::int64_t maxDatabaseBytes = 0;  // 0: no cap on the queue database; at the cap the oldest finished jobs go
  int retentionDays = 0;            // finished jobs older than this are deleted (0: kept)
  int memoryQueue = 2;              // decoded images waiting for a worker (back-pressure bound)
  ForwardingConfig forwarding;
  std::vector<RoutingRule> rules;   // default: defaultRules()
  // Orthanc's own AuthenticationEnabled (top level), true only when set so: then Orthanc has
  // checked a request's Basic credentials, and the review page's reviewer is that user.
  bool orthancAuthenticates = false;
  // Sagitta.Ohif.Folder: OHIF's relocated dist (scripts/install_ohif.sh), served at /ohif/;
  // empty: no viewer. DicomWeb.Root (top level, the DICOMweb plugin's): where OHIF reads from.
  std::string ohifFolder;
  std::string dicomWebRoot = "/dicom-web/";
};

// fullConfiguration: Orthanc's whole configuration as JSON. Throws PluginConfigError naming the
// key and what is wrong.
PluginConfig parsePluginConfig(const std::string& fullConfiguration);

}  // namespace sagitta::plugin
