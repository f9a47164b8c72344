// SPDX-License-Identifier: GPL-3.0-or-later
// The queue's schema, as numbered migrations per engine, each applied once in its own
// transaction under a lock (SQLite: BEGIN IMMEDIATE and user_version; PostgreSQL: an advisory
// lock and the sagitta_schema table), so that nodes starting together migrate once.
#pragma once

#include <string>

#include "sagitta/plugin/sql_connection.hpp"

namespace sagitta::plugin {

// Brings the schema to the latest version; returns the version it found.
int migrateQueueSchema(SqlConnection& db, const std::string& node);
int queueSchemaVersion(SqlConnection& db);

}  // namespace sagitta::plugin
