// SPDX-License-Identifier: GPL-3.0-or-later
// The job queue's database connection: the embedded SQLite file (one node) or a PostgreSQL
// server (several nodes sharing one queue). Statements are written once, with '?' placeholders
// and bound parameters; the few places where the two engines differ ask dialect(). Results come
// back as text, read by column as text, integer or real. Not thread-safe: the queue holds a
// mutex around each use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace sagitta::plugin {

class QueueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The disk, or MaxDatabaseMegabytes, is full and no finished job was left to prune.
class QueueFull : public QueueError {
 public:
  using QueueError::QueueError;
};

// The database server cannot be reached (down, restarting, network); the next use reconnects.
class QueueUnreachable : public QueueError {
 public:
  using QueueError::QueueError;
};

// Another node wrote the same unique row first (PostgreSQL's unique_violation).
class QueueConflict : public QueueError {
 public:
  using QueueError::QueueError;
};

enum class SqlDialect { Sqlite, Postgres };

using SqlValue = std::variant<std::string, std::int64_t, double>;

class SqlRows {
 public:
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  std::string text(std::size_t row, std::size_t column) const;  // NULL: ""
  std::int64_t integer(std::size_t row, std::size_t column) const;
  double real(std::size_t row, std::size_t column) const;
  bool isNull(std::size_t row, std::size_t column) const;
  std::int64_t changed = 0;  // rows written by an INSERT / UPDATE / DELETE

  void add(std::vector<std::optional<std::string>> row) { rows_.push_back(std::move(row)); }

 private:
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

// One row of a result, for the readers of the queue's tables.
class SqlRow {
 public:
  SqlRow(const SqlRows& rows, std::size_t row) : rows_(rows), row_(row) {}
  std::string text(int c) const { return rows_.text(row_, static_cast<std::size_t>(c)); }
  std::int64_t integer(int c) const { return rows_.integer(row_, static_cast<std::size_t>(c)); }
  double real(int c) const { return rows_.real(row_, static_cast<std::size_t>(c)); }
  bool isNull(int c) const { return rows_.isNull(row_, static_cast<std::size_t>(c)); }

 private:
  const SqlRows& rows_;
  std::size_t row_;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual SqlDialect dialect() const = 0;
  // One statement with '?' placeholders bound to `params` in order.
  virtual SqlRows run(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
  // Statements without parameters (schema), separated by ';'.
  virtual void script(const std::string& sql) = 0;
  // A transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE).
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // What the logs and /sagitta/health may name: a path, or host, port and database (never the
  // password).
  virtual std::string describe() const = 0;
};

// BEGIN ... COMMIT, rolled back when the scope is left by an exception.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlConnection& db) : db_(db) { db_.begin(); }
  ~SqlTransaction() {
    if (!committed_) db_.rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  void commit() {
    db_.commit();
    committed_ = true;
  }

 private:
  SqlConnection& db_;
  bool committed_ = false;
};

// A PostgreSQL connection string (URI or key=value), as opposed to a SQLite file path.
bool isPostgresConnectionString(const std::string& database);

// maxBytes > 0 caps the file's size: a write beyond it fails as a full disk would (QueueFull).
std::unique_ptr<SqlConnection> openSqlite(const std::string& path, std::int64_t maxBytes);
// Connects at once (QueueUnreachable when it cannot), and again after a lost connection.
std::unique_ptr<SqlConnection> openPostgres(const std::string& connectionString);

}  // namespace sagitta::plugin
