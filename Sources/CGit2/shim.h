#ifndef AUTOFIX_CGIT2_SHIM_H
#define AUTOFIX_CGIT2_SHIM_H
#include <git2.h>
#endif
