// Shim for the OpenBLAS system library. The include guard is unique on purpose: OpenBLAS's own
// cblas.h uses CBLAS_H, and a shim that defined it would hide every cblas declaration.
#ifndef SAETRACK_OPENBLAS_SHIM_H
#define SAETRACK_OPENBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>

// Declared by OpenBLAS (openblas_config.h / cblas.h); repeated here so the names are visible
// even when a distribution's cblas.h omits them.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);

#endif
