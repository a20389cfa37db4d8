// Shim for the MPI system library (Open MPI: pkg-config ompi-c). MPI's predefined handles
// (MPI_COMM_WORLD, MPI_FLOAT, ...) are macros over the addresses of library globals, which Swift
// cannot import; these inline functions return them.
#ifndef SAETRACK_MPI_SHIM_H
#define SAETRACK_MPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm saetrack_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype saetrack_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype saetrack_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype saetrack_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Status *saetrack_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int saetrack_mpi_success(void) { return MPI_SUCCESS; }
static inline int saetrack_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int saetrack_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
