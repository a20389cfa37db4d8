#include "saetrack_support.h"
#include <stdlib.h>   // defines __GLIBC__ (through <features.h>) on glibc systems

#if defined(__GLIBC__)
#include <malloc.h>

int saetrack_keep_freed_buffers(void) {
    int mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum on 64-bit (larger values are refused)
    int trim_ok = mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return mmap_ok == 1 && trim_ok == 1;
}
#else
int saetrack_keep_freed_buffers(void) { return 0; }
#endif
