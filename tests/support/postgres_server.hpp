// SPDX-License-Identifier: GPL-3.0-or-later
// A throw-away PostgreSQL 15 server for a test: initdb in a scratch folder, a free loopback
// port, trust authentication, stopped (immediate) when the object goes. Run as the postgres user
// when the test runs as root (the server refuses root). Debian's postgresql-15 (scripts/setup.sh).
#pragma once

#include <string>

namespace sagitta::testing {

class PostgresServer {
 public:
  explicit PostgresServer(const std::string& name);  // throws std::runtime_error with the log's tail
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // "host=127.0.0.1 port=N user=sagitta dbname=sagitta"
  const std::string& connectionString() const { return connection_; }
  int port() const { return port_; }
  void stop();   // fast shutdown: connections are dropped
  void start();  // the same data folder and port again

 private:
  std::string run(const std::string& command) const;  // as the server's user; throws on failure
  std::string bin_, dir_, connection_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace sagitta::testing
