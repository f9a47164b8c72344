// SPDX-License-Identifier: GPL-3.0-or-later
// The shared queue: one libpq connection per node, typed parameters, reconnection after a lost
// connection (never inside a transaction: its statements would silently run one by one).
#include <libpq-fe.h>

#include <cstdio>

#include "sagitta/plugin/sql_connection.hpp"

namespace sagitta::plugin {
namespace {

// Parameter types (pg_type OIDs), so that the server never has to guess them.
constexpr Oid kText = 25, kInt8 = 20, kFloat8 = 701;

// '?' placeholders become $1, $2, ... (outside quoted text).
std::string numbered(const std::string& sql) {
  std::string out;
  int n = 0;
  char quote = 0;
  for (const char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

// PostgreSQL text holds neither NUL nor invalid UTF-8: such bytes (a reason quoting a broken
// file, say) become U+FFFD instead of failing the write.
std::string validUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && c != 0 && i + len <= n && !(len == 2 && c < 0xc2);
    for (std::size_t k = 1; ok && k < len; ++k) ok = (s[i + k] & 0xc0) == 0x80;
    if (ok && len == 3) {
      const unsigned cp = ((c & 0x0fU) << 12) | ((s[i + 1] & 0x3fU) << 6) | (s[i + 2] & 0x3fU);
      ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
    }
    if (ok && len == 4) {
      const unsigned cp = ((c & 0x07U) << 18) | ((s[i + 1] & 0x3fU) << 12) | ((s[i + 2] & 0x3fU) << 6) | (s[i + 3] & 0x3fU);
      ok = cp >= 0x10000 && cp <= 0x10ffff;
    }
    if (ok) {
      out.append(in, i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

bool unreachableState(const std::string& sqlstate) {
  // 08: connection exception; 57P01..03: the server is shutting down or starting.
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(std::string connectionString) : connectionString_(std::move(connectionString)) {
    connect();
  }
  ~PostgresConnection() override {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  SqlDialect dialect() const override { return SqlDialect::Postgres; }

  std::string describe() const override {
    if (conn_ == nullptr) return "postgresql";
    const char* host = PQhost(conn_);
    const char* port = PQport(conn_);
    const char* db = PQdb(conn_);
    return std::string("postgresql ") + (host != nullptr ? host : "?") + ":" + (port != nullptr ? port : "?") + "/" +
           (db != nullptr ? db : "?");
  }

  SqlRows run(const std::string& sql, const std::vector<SqlValue>& params) override {
    ensureConnected();
    std::vector<std::string> texts;
    std::vector<Oid> types;
    texts.reserve(params.size());
    for (const auto& p : params) {
      if (const auto* text = std::get_if<std::string>(&p)) {
        texts.push_back(validUtf8(*text));
        types.push_back(kText);
      } else if (const auto* integer = std::get_if<std::int64_t>(&p)) {
        texts.push_back(std::to_string(*integer));
        types.push_back(kInt8);
      } else {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", std::get<double>(p));
        texts.emplace_back(buffer);
        types.push_back(kFloat8);
      }
    }
    std::vector<const char*> values;
    for (const auto& t : texts) values.push_back(t.c_str());
    const std::string statement = numbered(sql);
    Result r(PQexecParams(conn_, statement.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                          nullptr, nullptr, 0));
    check(r.get());
    SqlRows rows;
    const int columns = PQnfields(r.get());
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::vector<std::optional<std::string>> row;
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(r.get(), i, c) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(r.get(), i, c), static_cast<std::size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.add(std::move(row));
    }
    const char* tuples = PQcmdTuples(r.get());
    rows.changed = (tuples != nullptr && *tuples != '\0') ? std::stoll(tuples) : 0;
    return rows;
  }

  void script(const std::string& sql) override {
    ensureConnected();
    Result r(PQexec(conn_, sql.c_str()));
    check(r.get());
  }

  void begin() override {
    ensureConnected();
    Result r(PQexec(conn_, "BEGIN"));
    check(r.get());
    inTransaction_ = true;
  }

  void commit() override {
    // COMMIT outside a transaction is only a warning in PostgreSQL: a reconnection in between
    // would go unnoticed.
    if (conn_ == nullptr || PQtransactionStatus(conn_) != PQTRANS_INTRANS) {
      inTransaction_ = false;
      throw QueueUnreachable("queue database: the transaction was lost with the connection; nothing was written");
    }
    Result r(PQexec(conn_, "COMMIT"));
    inTransaction_ = false;
    check(r.get());
  }

  void rollback() noexcept override {
    inTransaction_ = false;
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_, "ROLLBACK"));
    }
  }

 private:
  struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  using Result = std::unique_ptr<PGresult, ResultDeleter>;

  void connect() {
    if (conn_ != nullptr) PQfinish(conn_);
    // Defaults first: what the connection string says wins (expand_dbname).
    const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                          "keepalives_count", "dbname", nullptr};
    const char* values[] = {"5", "sagitta", "10", "5", "3", connectionString_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      const std::string reason = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
      const std::string where = describe();
      if (conn_ != nullptr) PQfinish(conn_);
      conn_ = nullptr;
      throw QueueUnreachable("queue database unreachable (" + where + "): " + trimmed(reason));
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists, skipping" and the like
    // A hung server fails a statement instead of blocking a worker for ever.
    Result r(PQexec(conn_, "SET client_encoding = 'UTF8'; SET statement_timeout = '60s'"));
    check(r.get());
  }

  void ensureConnected() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return;
    if (inTransaction_) throw QueueUnreachable("queue database: connection lost inside a transaction; nothing was written");
    connect();
  }

  void check(PGresult* r) {
    const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const std::string reason = trimmed(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    if (PQstatus(conn_) != CONNECTION_OK || unreachableState(sqlstate)) {
      throw QueueUnreachable("queue database unreachable (" + describe() + "): " + reason);
    }
    if (sqlstate == "23505") throw QueueConflict("queue database: " + reason);
    if (sqlstate == "53100") throw QueueFull("queue database: disk full (" + reason + "); nothing was written");
    throw QueueError("queue database: " + reason);
  }

  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  std::string connectionString_;
  PGconn* conn_ = nullptr;
  bool inTransaction_ = false;
};

}  // namespace

std::unique_ptr<SqlConnection> openPostgres(const std::string& connectionString) {
  return std::make_unique<PostgresConnection>(connectionString);
}

}  // namespace sagitta::plugin
