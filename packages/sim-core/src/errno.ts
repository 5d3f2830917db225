/**
 * errno - Linux error numbers, names and values verbatim.
 *
 * Kernel: include/uapi/asm-generic/errno-base.h, include/uapi/asm-generic/errno.h,
 *         include/linux/errno.h (kernel-internal values above 511)
 *
 * Every synchronous failure in rdmaemu carries one of these through `KernelError`; the names are
 * the codes tests branch on (`err.code === 'ENOMEM'`).
 */

/** errno-base.h and errno.h values (x86/generic numbering). */
export const errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, EIDRM: 43, ENOSTR: 60, ENODATA: 61, ETIME: 62, ENOSR: 63, ENOLINK: 67, EPROTO: 71,
  EBADMSG: 74, EOVERFLOW: 75, EILSEQ: 84, EUSERS: 87, ENOTSOCK: 88, EDESTADDRREQ: 89,
  EMSGSIZE: 90, EPROTOTYPE: 91, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93, ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95, EPFNOSUPPORT: 96, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENETDOWN: 100, ENETUNREACH: 101, ENETRESET: 102, ECONNABORTED: 103, ECONNRESET: 104,
  ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ESHUTDOWN: 108, ETOOMANYREFS: 109, ETIMEDOUT: 110,
  ECONNREFUSED: 111, EHOSTDOWN: 112, EHOSTUNREACH: 113, EALREADY: 114, EINPROGRESS: 115,
  ESTALE: 116, EDQUOT: 122, ECANCELED: 125, EKEYEXPIRED: 127, EKEYREJECTED: 129, EREMOTEIO: 121,
  // include/linux/errno.h: kernel-internal, never seen by user space
  ERESTARTSYS: 512, ENOTSUPP: 524, EBADCOOKIE: 523, ETOOSMALL: 525, ESERVERFAULT: 526,
  EBADTYPE: 527, EJUKEBOX: 528, EIOCBQUEUED: 529,
} as const;

/** The name of an errno, e.g. `'ENOMEM'`. */
export type ErrnoCode = keyof typeof errno;

const byNumber = new Map<number, ErrnoCode>();
for (const [name, value] of Object.entries(errno) as [ErrnoCode, number][]) {
  if (!byNumber.has(value)) byNumber.set(value, name);
}

/**
 * errnoName - the symbolic name of an errno value (sign ignored).
 * @example
 * ```ts
 * errnoName(-12) // 'ENOMEM'
 * ```
 */
export function errnoName(value: number): ErrnoCode | undefined {
  return byNumber.get(Math.abs(value));
}

/** Kernel: include/linux/err.h MAX_ERRNO */
export const MAX_ERRNO = 4095;

/** Kernel: include/linux/err.h IS_ERR_VALUE() - true for -MAX_ERRNO..-1. */
export function IS_ERR_VALUE(x: number): boolean {
  return x < 0 && x >= -MAX_ERRNO;
}
