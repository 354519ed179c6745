/*  nmirf_util - small helpers shared by every program: time, hex, ids,
    identifier syntax, files.
*/
#ifndef NMIRF_UTIL_H
#define NMIRF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#define NMIRF_VERSION "0.1.0"

/* Wall-clock time in ms since the Unix epoch. */
uint64_t nmirf_now_ms(void);

/* Monotonic time in microseconds, for measuring. */
uint64_t nmirf_mono_us(void);

/* Writes today's UTC date for time ms as YYYY-MM-DD into buf[11]. */
void nmirf_date_of(uint64_t ms, char buf[11]);

/* Days since 1970-01-01 of a valid date YYYY-MM-DD (nmirf_date_valid of
   nmirf_schema.h),
   so that dates subtract as integers. Reads the first ten bytes of s only
   (no NUL needed). */
int64_t nmirf_date_days(const char *s);

/* v as 8 big-endian bytes into out, and back from p's first 8 bytes: the
   form of every numeric LMDB key (the broker's event log, checkpoints,
   report and measure ids; the agent's replica and outbox), so that LMDB's
   byte order of the keys is their numeric order. */
void nmirf_be64_encode(uint64_t v, uint8_t out[8]);
uint64_t nmirf_be64_decode(const void *p);

/* Lowercase hex of data into out (2*len+1 bytes). */
void nmirf_hex(const uint8_t *data, size_t len, char *out);

/* Parses exactly 2*len hex digits into out. Returns 0 or -1. */
int nmirf_unhex(const char *hex, uint8_t *out, size_t len);

/* Fills id with random bytes (libsodium). */
void nmirf_random_id(uint8_t *id, size_t len);

/* Identifier syntax (PROTOCOL.md section 6). */
bool nmirf_entity_id_valid(const char *s, size_t len);
bool nmirf_rec_id_valid(const char *s, size_t len);

/* Reads a whole file. Returns a malloc'd buffer with a NUL after the data
   (not counted in *len), or NULL with errno set. */
char *nmirf_read_file(const char *path, size_t *len);

/* Reads a whole regular file of at most max bytes, opened without
   blocking (a FIFO does not hang). Returns a malloc'd buffer with a NUL
   after the data (not counted in *len), or NULL with why filled:
   "PATH: is a directory", "PATH: not a regular file (a device, a pipe or
   a socket)", "PATH: N bytes, more than the M allowed", or the system's
   error. st, if not NULL, gets the file's status. */
char *nmirf_read_regular(const char *path, size_t max, size_t *len, struct stat *st,
                         char *why, size_t whylen);

/* Opens path for reading if it is a regular file: the stream, with *st
   filled, or NULL with why filled as nmirf_read_regular does. */
FILE *nmirf_open_regular(const char *path, struct stat *st, char *why, size_t whylen);

/* Writes data to path atomically (temp file, fsync, rename) with mode.
   Returns 0 or -1 with errno set. */
int nmirf_write_file(const char *path, const void *data, size_t len, int mode);

#endif
