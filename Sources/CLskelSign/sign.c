#include "lskel_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int fail(char *err, size_t err_len, const char *what)
{
	unsigned long code = ERR_get_error();
	char reason[200] = "";
	if (code)
		ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	snprintf(err, err_len, "%s%s%s", what, code ? ": " : "", reason);
	return -1;
}

static EVP_PKEY *read_key(const uint8_t *key, size_t key_len)
{
	BIO *bio = BIO_new_mem_buf(key, (int)key_len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return pkey;
}

/* PEM first, then DER. */
static X509 *read_cert(const uint8_t *cert, size_t cert_len)
{
	BIO *bio = BIO_new_mem_buf(cert, (int)cert_len);
	X509 *x509 = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x509) {
		const unsigned char *p = cert;
		ERR_clear_error();
		x509 = d2i_X509(NULL, &p, (long)cert_len);
	}
	return x509;
}

int lskel_sign_check(const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len,
		     char *key_type, size_t key_type_len, int *deterministic, char *err, size_t err_len)
{
	EVP_PKEY *pkey = read_key(key, key_len);
	if (!pkey)
		return fail(err, err_len, "not a PEM private key");
	X509 *x509 = read_cert(cert, cert_len);
	if (!x509) {
		EVP_PKEY_free(pkey);
		return fail(err, err_len, "not a PEM or DER certificate");
	}
	int rc = 0;
	if (X509_check_private_key(x509, pkey) != 1) {
		rc = fail(err, err_len, "the key does not belong to the certificate");
	} else if (!X509_get0_subject_key_id(x509)) {
		snprintf(err, err_len, "the certificate has no subject key identifier, which names the signer in the signature");
		rc = -1;
	} else {
		int id = EVP_PKEY_get_base_id(pkey);
		const char *type = id == EVP_PKEY_RSA ? "rsa" : id == EVP_PKEY_EC ? "ec" : id == EVP_PKEY_ED25519 ? "ed25519" : "other";
		snprintf(key_type, key_type_len, "%s", type);
		*deterministic = id == EVP_PKEY_RSA || id == EVP_PKEY_ED25519;
	}
	X509_free(x509);
	EVP_PKEY_free(pkey);
	return rc;
}

int lskel_cert_info(const uint8_t *cert, size_t cert_len, uint8_t sha256[32], char *subject, size_t subject_len,
		    uint8_t **der, size_t *der_len, char *err, size_t err_len)
{
	X509 *x509 = read_cert(cert, cert_len);
	if (!x509)
		return fail(err, err_len, "not a PEM or DER certificate");
	unsigned char *out = NULL;
	int len = i2d_X509(x509, &out);
	unsigned int digest_len = 0;
	int rc = 0;
	if (len <= 0 || !EVP_Digest(out, (size_t)len, sha256, &digest_len, EVP_sha256(), NULL) || digest_len != 32) {
		rc = fail(err, err_len, "cannot encode the certificate");
	} else {
		BIO *bio = BIO_new(BIO_s_mem());
		char *text = NULL;
		long text_len;
		X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0, XN_FLAG_RFC2253);
		text_len = BIO_get_mem_data(bio, &text);
		snprintf(subject, subject_len, "%.*s", (int)(text_len > 0 ? text_len : 0), text ? text : "");
		BIO_free(bio);
		*der = malloc((size_t)len);
		if (*der) {
			memcpy(*der, out, (size_t)len);
			*der_len = (size_t)len;
		} else {
			rc = fail(err, err_len, "out of memory");
		}
	}
	OPENSSL_free(out);
	X509_free(x509);
	return rc;
}

int lskel_cms_sign(const uint8_t *key, size_t key_len, const uint8_t *cert, size_t cert_len,
		   const uint8_t *data, size_t data_len, uint8_t **sig, size_t *sig_len, char *err, size_t err_len)
{
	EVP_PKEY *pkey = read_key(key, key_len);
	X509 *x509 = read_cert(cert, cert_len);
	BIO *in = BIO_new_mem_buf(data, (int)data_len);
	BIO *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms = NULL;
	int rc = -1;

	if (!pkey || !x509 || !in || !out) {
		fail(err, err_len, !pkey ? "not a PEM private key" : !x509 ? "not a PEM or DER certificate" : "out of memory");
		goto out;
	}
	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);
	if (!cms) {
		fail(err, err_len, "CMS_sign");
		goto out;
	}
	if (!CMS_add1_signer(cms, x509, pkey, EVP_sha256(),
			     CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_USE_KEYID | CMS_NOATTR)) {
		fail(err, err_len, "CMS_add1_signer");
		goto out;
	}
	if (CMS_final(cms, in, NULL, CMS_NOCERTS | CMS_BINARY) != 1) {
		fail(err, err_len, "CMS_final");
		goto out;
	}
	if (i2d_CMS_bio(out, cms) != 1) {
		fail(err, err_len, "i2d_CMS_bio");
		goto out;
	}
	char *bytes = NULL;
	long len = BIO_get_mem_data(out, &bytes);
	*sig = malloc(len > 0 ? (size_t)len : 1);
	if (!*sig) {
		fail(err, err_len, "out of memory");
		goto out;
	}
	memcpy(*sig, bytes, (size_t)len);
	*sig_len = (size_t)len;
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	X509_free(x509);
	EVP_PKEY_free(pkey);
	return rc;
}

static int add_extension(X509 *x509, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x509, x509, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	int ok = X509_add_ext(x509, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static int pem_out(int (*write)(BIO *, const void *), const void *object, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (!bio || !write(bio, object)) {
		BIO_free(bio);
		return 0;
	}
	char *bytes = NULL;
	long n = BIO_get_mem_data(bio, &bytes);
	*pem = malloc((size_t)n + 1);
	if (*pem) {
		memcpy(*pem, bytes, (size_t)n);
		(*pem)[n] = 0;
		*len = (size_t)n;
	}
	BIO_free(bio);
	return *pem != NULL;
}

static int write_key(BIO *bio, const void *key)
{
	return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)key, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(BIO *bio, const void *cert)
{
	return PEM_write_bio_X509(bio, (X509 *)cert);
}

int lskel_keypair(const char *common_name, unsigned days, char **key_pem, size_t *key_len,
		  char **cert_pem, size_t *cert_len, char *err, size_t err_len)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	X509 *x509 = X509_new();
	int rc = -1;
	*key_pem = NULL;
	*cert_pem = NULL;
	if (!pkey || !x509) {
		fail(err, err_len, "cannot make an RSA-2048 key");
		goto out;
	}
	X509_set_version(x509, 2);
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	if (RAND_bytes(serial, sizeof(serial)) != 1 || !(bn = BN_bin2bn(serial, sizeof(serial), NULL))) {
		fail(err, err_len, "cannot make a serial number");
		goto out;
	}
	BN_clear_bit(bn, 127);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x509), 0);
	X509_gmtime_adj(X509_getm_notAfter(x509), (long)days * 86400);
	X509_set_pubkey(x509, pkey);
	X509_NAME *name = X509_get_subject_name(x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0);
	X509_set_issuer_name(x509, name);
	if (!add_extension(x509, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_extension(x509, NID_key_usage, "critical,digitalSignature") ||
	    !add_extension(x509, NID_ext_key_usage, "codeSigning") ||
	    !add_extension(x509, NID_subject_key_identifier, "hash") ||
	    !add_extension(x509, NID_authority_key_identifier, "keyid:always")) {
		fail(err, err_len, "cannot add the certificate's extensions");
		goto out;
	}
	if (!X509_sign(x509, pkey, EVP_sha256())) {
		fail(err, err_len, "cannot sign the certificate");
		goto out;
	}
	if (!pem_out(write_key, pkey, key_pem, key_len) || !pem_out(write_cert, x509, cert_pem, cert_len)) {
		free(*key_pem);
		*key_pem = NULL;
		fail(err, err_len, "cannot write PEM");
		goto out;
	}
	rc = 0;
out:
	X509_free(x509);
	EVP_PKEY_free(pkey);
	return rc;
}
