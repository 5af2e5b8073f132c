#ifndef AUTOFIX_CGIT2_SHIM_H
#define AUTOFIX_CGIT2_SHIM_H
#include <git2.h>
#include <git2/sys/repository.h>
#include <git2/sys/odb_backend.h>

/* git_libgit2_opts is variadic, which Swift cannot call. */
static inline int autofix_git_set_config_search_path(git_config_level_t level, const char *path) {
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, path);
}

/* An object database backend (or write stream) with a pointer back to the Swift object that
 * implements it: the callbacks receive only the libgit2 struct, which comes first. */
typedef struct autofix_odb_backend {
    git_odb_backend parent;
    void *owner;
} autofix_odb_backend;

typedef struct autofix_odb_stream {
    git_odb_stream parent;
    void *owner;
} autofix_odb_stream;
#endif
