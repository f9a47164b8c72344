// SPDX-License-Identifier: GPL-3.0-or-later
// The embedded queue: one SQLite file in WAL mode, opened with a busy timeout.
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "sagitta/plugin/sql_connection.hpp"

namespace sagitta::plugin {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc) {
  if (rc == SQLITE_FULL) throw QueueFull("queue database: disk or size limit full (SQLITE_FULL); nothing was written");
  throw QueueError(std::string("queue database: ") + sqlite3_errmsg(db));
}

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, std::int64_t maxBytes) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      const std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw QueueError("cannot open the queue database " + path + ": " + reason);
    }
    sqlite3_busy_timeout(db_, 5000);
    try {
      script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
      if (maxBytes > 0) {
        // A pragma's value cannot be a bound parameter; this is an integer, never text.
        const std::int64_t pages = std::max<std::int64_t>(16, maxBytes / 4096);
        script("PRAGMA page_size=4096; PRAGMA max_page_count=" + std::to_string(pages));
      }
    } catch (const QueueError& e) {
      sqlite3_close(db_);
      throw QueueError("cannot initialise the queue database " + path + ": " + e.what());
    }
  }
  ~SqliteConnection() override { sqlite3_close(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::Sqlite; }
  std::string describe() const override { return path_; }

  SqlRows run(const std::string& sql, const std::vector<SqlValue>& params) override {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) fail(db_, SQLITE_ERROR);
    const auto finalize = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>(s, sqlite3_finalize);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int at = static_cast<int>(i) + 1;
      if (const auto* text = std::get_if<std::string>(&params[i])) {
        sqlite3_bind_text(s, at, text->c_str(), static_cast<int>(text->size()), SQLITE_TRANSIENT);
      } else if (const auto* integer = std::get_if<std::int64_t>(&params[i])) {
        sqlite3_bind_int64(s, at, *integer);
      } else {
        sqlite3_bind_double(s, at, std::get<double>(params[i]));
      }
    }
    SqlRows rows;
    for (;;) {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(db_, rc);
      std::vector<std::optional<std::string>> row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) row.push_back(cell(s, c));
      rows.add(std::move(row));
    }
    rows.changed = sqlite3_stmt_readonly(s) != 0 ? 0 : sqlite3_changes(db_);
    return rows;
  }

  void script(const std::string& sql) override {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      const std::string reason = error != nullptr ? error : "unknown error";
      sqlite3_free(error);
      if (rc == SQLITE_FULL) throw QueueFull("queue database: disk or size limit full (SQLITE_FULL); nothing was written");
      throw QueueError(reason);
    }
  }
  void begin() override { script("BEGIN IMMEDIATE"); }
  void commit() override { script("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  // Every value as text; a real with all its digits (timestamps keep their microseconds).
  static std::optional<std::string> cell(sqlite3_stmt* s, int c) {
    switch (sqlite3_column_type(s, c)) {
      case SQLITE_NULL: return std::nullopt;
      case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(s, c));
      case SQLITE_FLOAT: {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", sqlite3_column_double(s, c));
        return std::string(buffer);
      }
      default: {
        const auto* p = sqlite3_column_text(s, c);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p),
                                                          static_cast<std::size_t>(sqlite3_column_bytes(s, c)));
      }
    }
  }

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace

std::string SqlRows::text(std::size_t row, std::size_t column) const {
  const auto& cell = rows_.at(row).at(column);
  return cell ? *cell : std::string();
}

bool SqlRows::isNull(std::size_t row, std::size_t column) const { return !rows_.at(row).at(column).has_value(); }

std::int64_t SqlRows::integer(std::size_t row, std::size_t column) const {
  const auto& cell = rows_.at(row).at(column);
  if (!cell || cell->empty()) return 0;
  if (*cell == "t") return 1;  // a PostgreSQL boolean
  if (*cell == "f") return 0;
  return std::strtoll(cell->c_str(), nullptr, 10);
}

double SqlRows::real(std::size_t row, std::size_t column) const {
  const auto& cell = rows_.at(row).at(column);
  return cell ? std::strtod(cell->c_str(), nullptr) : 0.0;
}

bool isPostgresConnectionString(const std::string& database) {
  for (const char* prefix : {"postgresql:", "postgres:", "host=", "hostaddr=", "dbname=", "port=", "user=", "service="}) {
    if (database.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::unique_ptr<SqlConnection> openSqlite(const std::string& path, std::int64_t maxBytes) {
  return std::make_unique<SqliteConnection>(path, maxBytes);
}

}  // namespace sagitta::plugin
