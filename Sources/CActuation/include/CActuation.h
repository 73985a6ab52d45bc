// CActuation: the few Linux serial-port calls Swift cannot make by itself.
//
// Why this shim exists:
// - `ioctl` is variadic, so Swift does not import it; TIOCEXCL/TIOCNXCL/TCGETS2/TCSETS2
//   must be issued from C.
// - Custom baud rates (rates missing from the Bxxx table) need `struct termios2` and
//   `BOTHER` from <asm/termbits.h>, a header that clashes with glibc's <termios.h>,
//   so it can only be included here, in a translation unit of its own.
// - posix_openpt/grantpt/unlockpt/ptsname_r are declared by glibc only under
//   _XOPEN_SOURCE/_GNU_SOURCE, which Swift's Glibc module does not define.
// Every function returns 0 on success or -1 with `errno` set, like the calls it wraps.
#ifndef CACTUATION_H
#define CACTUATION_H

/// Sets input and output speed of the tty `fd` to `rate` bits per second using
/// termios2 + BOTHER (any rate the adapter supports). Other settings are kept.
int CActuation_setCustomBaudRate(int fd, unsigned int rate);

/// Reads the actual output speed of the tty `fd` through termios2 into `rate`.
int CActuation_getBaudRate(int fd, unsigned int *rate);

/// Puts the tty `fd` into exclusive mode (TIOCEXCL): further open(2)s fail with EBUSY.
int CActuation_setExclusive(int fd);

/// Leaves exclusive mode (TIOCNXCL).
int CActuation_clearExclusive(int fd);

/// Bytes waiting in the input queue of `fd` (FIONREAD) into `count`.
int CActuation_bytesAvailable(int fd, int *count);

/// Opens a new pseudo-terminal master (posix_openpt + grantpt + unlockpt) with
/// O_RDWR | O_NOCTTY | O_CLOEXEC and writes the slave's path into `name` (`size` bytes).
/// Returns the master descriptor, or -1 with errno set.
int CActuation_openPseudoTerminal(char *name, unsigned long size);

#endif
