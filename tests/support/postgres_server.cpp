// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/postgres_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/scratch.hpp"

namespace sagitta::testing {
namespace {

namespace fs = std::filesystem;

// A port the kernel has just found free on the loopback (a race with other processes is
// possible in principle and shows as a failed start).
int freePort() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (s >= 0) ::close(s);
    throw std::runtime_error("no free loopback port");
  }
  ::close(s);
  return ntohs(address.sin_port);
}

std::string tail(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  const auto text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

PostgresServer::PostgresServer(const std::string& name) {
  const char* bin = std::getenv("SAGITTA_PG_BIN");
  bin_ = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin";
  if (!fs::exists(fs::path(bin_) / "initdb")) {
    throw std::runtime_error("PostgreSQL 15's server is not installed (" + bin_ + "/initdb): run scripts/setup.sh");
  }
  dir_ = scratch("pg-" + name).string();
  if (::geteuid() == 0) run("true");  // the folder becomes the postgres user's (run() does it)
  run(bin_ + "/initdb -D " + dir_ + "/data -U sagitta -A trust -E UTF8 --no-locale --no-sync > " + dir_ +
      "/initdb.log 2>&1");
  port_ = freePort();
  start();
  run(bin_ + "/createdb -h 127.0.0.1 -p " + std::to_string(port_) + " -U sagitta sagitta");
  connection_ = "host=127.0.0.1 port=" + std::to_string(port_) + " user=sagitta dbname=sagitta";
}

PostgresServer::~PostgresServer() {
  if (!running_) return;
  try {
    run(bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop > /dev/null 2>&1");
  } catch (const std::exception&) {
    // Left to the scratch folder's removal; the test's result stands.
  }
}

void PostgresServer::start() {
  // fsync off: a test server, nothing to keep after a crash of the machine.
  run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-p " + std::to_string(port_) +
      " -k " + dir_ + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start > /dev/null");
  running_ = true;
}

void PostgresServer::stop() {
  run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w stop > /dev/null");
  running_ = false;
}

std::string PostgresServer::run(const std::string& command) const {
  std::string line = command;
  if (::geteuid() == 0) {
    // The server refuses to run as root: the postgres user (Debian's package makes it) owns it.
    if (std::system(("chown -R postgres:postgres " + dir_).c_str()) != 0) {
      throw std::runtime_error("cannot give " + dir_ + " to the postgres user");
    }
    line = "runuser -u postgres -- sh -c '" + command + "'";
  }
  if (std::system(line.c_str()) != 0) {
    throw std::runtime_error("PostgreSQL test server: `" + command + "` failed\n" + tail(fs::path(dir_) / "initdb.log") +
                             tail(fs::path(dir_) / "server.log"));
  }
  return line;
}

}  // namespace sagitta::testing
