#ifndef AUTOFIX_CSYSTEM_H
#define AUTOFIX_CSYSTEM_H

#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+), which Swift's Glibc module does not
/// import: every descriptor from `from` up is closed in the child. Returns ENOSYS where the C
/// library lacks it.
int autofix_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29+): the child starts in `path`. Returns ENOSYS
/// where the C library lacks it.
int autofix_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// copy_file_range(2) between two descriptors at their current offsets; -1 with errno on failure.
ssize_t autofix_copy_file_range(int from, int to, size_t length);

#endif
