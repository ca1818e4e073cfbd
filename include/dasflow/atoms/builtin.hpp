#pragma once
/// \file builtin.hpp
/// The atoms that ship with dasflow, by their config names (DESIGN.md §3).

#include "dasflow/core/registry.hpp"

namespace dasflow::atoms {

/// Adds every built-in atom to `registry`.
void register_builtin_atoms(Registry& registry);

/// A registry holding the built-in atoms.
Registry builtin_registry();

} // namespace dasflow::atoms
