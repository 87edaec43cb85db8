// Environment variables, read one way: an empty value counts as unset (as a
// shell's `${VAR:-fallback}` has it), so `HOME=` never names the root.
#pragma once

#include <string>

namespace vidkeep {

/// The value of environment variable `name`, or `fallback` when it is unset
/// or empty. Reads the process environment: not safe against a concurrent
/// setenv (nothing in vidkeep calls setenv outside tests).
std::string EnvOr(const char* name, const std::string& fallback);

}  // namespace vidkeep
