/* glibc extensions the Swift Glibc module does not expose, and SHA-256 for
 * processes that do not link the engine. */
#include "lskel_system.h"

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

#include <openssl/evp.h>

int lskel_digest_sha256(const void *data, size_t len, unsigned char *out)
{
	unsigned int out_len = 0;

	if (!EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) || out_len != 32)
		return -1;
	return 0;
}
