// See include/CActuation.h for why this shim exists.
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "CActuation.h"

#if defined(__linux__)
#include <asm/termbits.h>
#include <sys/ioctl.h>

int CActuation_setCustomBaudRate(int fd, unsigned int rate) {
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    tio.c_cflag &= ~CBAUD;
    tio.c_cflag |= BOTHER;
    tio.c_cflag &= ~(CBAUD << IBSHIFT);
    tio.c_cflag |= BOTHER << IBSHIFT;
    tio.c_ispeed = rate;
    tio.c_ospeed = rate;
    return ioctl(fd, TCSETS2, &tio);
}

int CActuation_getBaudRate(int fd, unsigned int *rate) {
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    *rate = tio.c_ospeed;
    return 0;
}

int CActuation_setExclusive(int fd) { return ioctl(fd, TIOCEXCL); }
int CActuation_clearExclusive(int fd) { return ioctl(fd, TIOCNXCL); }
int CActuation_bytesAvailable(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

#else
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>

int CActuation_setCustomBaudRate(int fd, unsigned int rate) {
    (void)fd; (void)rate;
    errno = EINVAL;  // only Linux has termios2; other systems use the standard table
    return -1;
}
int CActuation_getBaudRate(int fd, unsigned int *rate) {
    struct termios t;
    if (tcgetattr(fd, &t) != 0) return -1;
    *rate = (unsigned int)cfgetospeed(&t);
    return 0;
}
int CActuation_setExclusive(int fd) { return ioctl(fd, TIOCEXCL); }
int CActuation_clearExclusive(int fd) { return ioctl(fd, TIOCNXCL); }
int CActuation_bytesAvailable(int fd, int *count) { return ioctl(fd, FIONREAD, count); }
#endif

int CActuation_openPseudoTerminal(char *name, unsigned long size) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, size) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}
