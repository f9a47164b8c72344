// SPDX-License-Identifier: GPL-3.0-or-later
// A plain HTTP/1.1 GET (Boost.Beast over Boost.Asio) for the commands that read a running
// Sagitta node (`sagitta corrections --from URL`). http:// only: a node behind TLS is reached
// through a local tunnel or reverse proxy.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace sagitta::cli {

// The node cannot be reached, or answers something other than 200.
class HttpError : public std::runtime_error {
 public:
  HttpError(const std::string& what, int status) : std::runtime_error(what), status_(status) {}
  int status() const { return status_; }  // 0: no answer at all

 private:
  int status_;
};

struct HttpUrl {
  std::string host, port = "80", path = "/";  // path: the prefix the node is served under
};
// "http://host[:port][/prefix]"; throws std::invalid_argument naming what is wrong.
HttpUrl parseHttpUrl(const std::string& url);

// GET base.path + target (target starts with '/'), with HTTP Basic credentials ("user:password")
// when given. The body, at most maxBytes (a larger one is an HttpError).
std::string httpGet(const HttpUrl& base, const std::string& target, const std::string& credentials,
                    std::size_t maxBytes, int timeoutSeconds = 120);

std::string base64(const std::string& bytes);

}  // namespace sagitta::cli
