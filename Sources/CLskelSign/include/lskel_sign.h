#ifndef LSKEL_SIGN_H
#define LSKEL_SIGN_H

#include <stddef.h>
#include <stdint.h>

/* Signing with OpenSSL's libcrypto, for the server and the lskel CLI only (never
 * the worker). Every function returns 0, or -1 with one line in err. Keys are
 * PEM; certificates PEM or DER. Buffers returned through out pointers are the
 * caller's to free with free(). */

/* Checks that the key and the certificate parse and belong together. On success
 * key_type names the key ("rsa", "ec", ...), deterministic is 1 when its
 * signatures are a function of key and data (RSA PKCS#1 v1.5), 0 otherwise. */
int lskel_sign_check(const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len,
		     char *key_type, size_t key_type_len, int *deterministic, char *err, size_t err_len);

/* The certificate's SHA-256 (over its DER), subject (one line, RFC 2253) and DER. */
int lskel_cert_info(const uint8_t *cert, size_t cert_len, uint8_t sha256[32], char *subject, size_t subject_len,
		    uint8_t **der, size_t *der_len, char *err, size_t err_len);

/* A detached CMS signature (DER) over data: SHA-256, no certificates, no signed
 * attributes, the signer named by the certificate's subject key identifier:
 * what the kernel's BPF signature check takes. */
int lskel_cms_sign(const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len,
		   const uint8_t *data, size_t data_len, uint8_t **sig, size_t *sig_len, char *err, size_t err_len);

/* A fresh RSA-2048 key and a self-signed code-signing certificate for it, both PEM. */
int lskel_keypair(const char *common_name, unsigned days, char **key_pem, size_t *key_len,
		  char **cert_pem, size_t *cert_len, char *err, size_t err_len);

#endif
