// SPDX-License-Identifier: GPL-3.0-or-later
// The queue's cost per film, SQLite against PostgreSQL (a local PostgreSQL 15 started here, as
// in the tests), and the claim rate PostgreSQL sustains with many concurrent claimers (each its
// own node and connection, as nodes on separate machines would be).
//
// usage: sagitta_bench_queue [FILMS] [CLAIMS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sagitta/plugin/job_queue.hpp"
#include "support/postgres_server.hpp"
#include "support/scratch.hpp"

namespace {

using sagitta::plugin::JobQueue;
using sagitta::plugin::JobState;
using sagitta::plugin::QueueOptions;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// What one film costs the queue on its way through a node: queued from the change log (with
// the cursor), claimed, finished with one forward, the forward claimed, sent and marked sent,
// and a share of the heartbeats (one per film: a pessimistic rate).
double perFilmMs(JobQueue& q, int films, const std::string& prefix) {
  const auto start = Clock::now();
  for (int i = 0; i < films; ++i) {
    q.enqueueChanges({prefix + std::to_string(i)}, "bundle", "cursor", i);
    const auto job = q.claim();
    if (!job) throw std::runtime_error("nothing to claim");
    q.finish(job->id, JobState::Done, "", {R"({"accepted": true})", "sr", "sc", "{}", {"modality:PACS"}});
    for (const auto& f : q.claimDueForwards(1e12, 4)) {
      q.markSending(f.id, "orthanc-job");
      q.markSent(f.id);
    }
    q.heartbeat(1, "bench", 3);
  }
  return seconds(start) * 1000.0 / films;
}

// Claims per second with `claimers` nodes taking jobs (claim + finish) until none is left.
double claimsPerSecond(const std::string& database, int claimers, int jobs) {
  {
    JobQueue feeder(database, QueueOptions{0, "feeder", 30.0});
    std::vector<std::string> batch;
    for (int i = 0; i < jobs; ++i) batch.push_back("c" + std::to_string(claimers) + "-" + std::to_string(i));
    feeder.enqueueChanges(batch, "bundle", "cursor", 0);
  }
  std::vector<std::unique_ptr<JobQueue>> nodes;
  for (int i = 0; i < claimers; ++i) {
    nodes.push_back(std::make_unique<JobQueue>(database, QueueOptions{0, "node-" + std::to_string(i), 30.0}));
  }
  std::atomic<int> claimed{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& node : nodes) {
    threads.emplace_back([&claimed, q = node.get()] {
      while (const auto job = q->claim()) {
        q->finish(job->id, JobState::Done, "", {"{}", "sr", "sc", "{}", {}});
        ++claimed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = seconds(start);
  if (claimed != jobs) throw std::runtime_error("claimed " + std::to_string(claimed.load()) + " of " + std::to_string(jobs));
  return jobs / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const int films = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int claims = argc > 2 ? std::atoi(argv[2]) : 4000;
  try {
    sagitta::testing::PostgresServer pg("bench-queue");
    const auto sqlitePath = (sagitta::testing::scratch("bench-queue-sqlite") / "q.db").string();
    {
      JobQueue sqlite(sqlitePath, QueueOptions{0, "solo", 30.0});
      JobQueue postgres(pg.connectionString(), QueueOptions{0, "solo", 30.0});
      perFilmMs(sqlite, 100, "warm-");
      perFilmMs(postgres, 100, "warm-");
      const double s = perFilmMs(sqlite, films, "film-");
      const double p = perFilmMs(postgres, films, "film-");
      std::printf("queue work per film (%d films, one node): SQLite %.3f ms, PostgreSQL %.3f ms, difference %.3f ms\n",
                  films, s, p, p - s);
    }
    std::printf("claims per second on PostgreSQL (claim + finish, %d jobs per row):\n", claims);
    for (const int claimers : {1, 2, 4, 8, 16, 32}) {
      std::printf("  %2d claimer(s): %8.0f /s\n", claimers, claimsPerSecond(pg.connectionString(), claimers, claims));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_queue: %s\n", e.what());
    return 1;
  }
  return 0;
}
