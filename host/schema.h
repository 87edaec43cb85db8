// The database schema as a list of migrations, applied in order and recorded
// in PRAGMA user_version. A migration is never edited once released: a new
// schema is a new entry at the end.
#pragma once

#include <SQLiteCpp/Database.h>

namespace vidkeep {

/// The schema version this build writes.
int LatestSchemaVersion();

/// Brings `db` to `target` (default: latest) inside one IMMEDIATE transaction,
/// so concurrent openers migrate once. Throws SQLite::Exception on failure;
/// refuses (throws) a database newer than this build.
void MigrateSchema(SQLite::Database& db, int target = -1);

}  // namespace vidkeep
