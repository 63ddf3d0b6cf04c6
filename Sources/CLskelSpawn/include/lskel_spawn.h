#ifndef LSKEL_SPAWN_H
#define LSKEL_SPAWN_H

#include <spawn.h>

/* pipe2(fds, O_CLOEXEC). */
int lskel_pipe_cloexec(int fds[2]);
/* Closes every descriptor from `low` up in the spawned child. */
int lskel_spawn_closefrom(posix_spawn_file_actions_t *actions, int low);

#endif
