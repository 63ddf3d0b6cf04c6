#ifndef LSKEL_SYSTEM_H
#define LSKEL_SYSTEM_H

#include <spawn.h>

/* pipe2(fds, O_CLOEXEC). */
int lskel_pipe_cloexec(int fds[2]);
/* Closes every descriptor from `low` up in the spawned child. */
int lskel_spawn_closefrom(posix_spawn_file_actions_t *actions, int low);

#include <stddef.h>

/* SHA-256 of data into out (32 bytes). Returns 0, or -1 if libcrypto failed. */
int lskel_digest_sha256(const void *data, size_t len, unsigned char *out);

#endif
