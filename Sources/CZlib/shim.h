#ifndef AUTOFIX_CZLIB_SHIM_H
#define AUTOFIX_CZLIB_SHIM_H
#include <zlib.h>
#endif
