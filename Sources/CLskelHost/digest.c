/* SHA-256 through OpenSSL's libcrypto. */
#include "lskel_host.h"

#include <openssl/evp.h>

int lskel_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int out_len = 0;

	if (!EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL) || out_len != 32)
		return -1;
	return 0;
}
