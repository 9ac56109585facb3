// posix_spawn's two argument objects as RAII types, and the argv it wants, shared by everything
// that starts a program (the broker its workers, the tests the broker and the worker).
#pragma once

#include <spawn.h>

#include <string>
#include <vector>

#include "common/syscall.h"

namespace usbip {

// posix_spawn* report errors as their return value, not in errno.
inline void checkSpawn(int rc, const char* what) {
  if (rc != 0) throwErrno(rc, what);
}

struct SpawnFileActions {
  posix_spawn_file_actions_t actions;
  SpawnFileActions() {
    checkSpawn(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
  }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
};

struct SpawnAttributes {
  posix_spawnattr_t attributes;
  SpawnAttributes() { checkSpawn(posix_spawnattr_init(&attributes), "posix_spawnattr_init"); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

// The null-terminated argv of `args`; it points into `args`, which must outlive it.
inline std::vector<char*> spawnArgv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace usbip
