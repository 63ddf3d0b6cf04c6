/* glibc extensions the Swift Glibc module does not expose. */
#include "lskel_spawn.h"

#include <fcntl.h>
#include <unistd.h>

int lskel_pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

int lskel_spawn_closefrom(posix_spawn_file_actions_t *actions, int low)
{
	return posix_spawn_file_actions_addclosefrom_np(actions, low);
}
