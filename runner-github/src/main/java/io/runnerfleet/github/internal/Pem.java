package io.runnerfleet.github.internal;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** Reads an RSA private key from PEM text, PKCS#8 ({@code PRIVATE KEY}) or PKCS#1 ({@code RSA PRIVATE KEY}). */
public final class Pem {
    // AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters.
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };

    private Pem() {
    }

    /**
     * Parses the key. The exception message describes the problem but never quotes the key.
     *
     * @throws IllegalArgumentException when the text is not an RSA private key in PEM form
     */
    public static PrivateKey rsaPrivateKey(String pem) {
        String type;
        if (pem.contains("-----BEGIN PRIVATE KEY-----")) {
            type = "PRIVATE KEY";
        } else if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
            type = "RSA PRIVATE KEY";
        } else if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException("the private key is encrypted; give the unencrypted PEM GitHub let you download");
        } else {
            throw new IllegalArgumentException("the private key is not PEM text: expected a '-----BEGIN RSA PRIVATE KEY-----'"
                    + " (PKCS#1) or '-----BEGIN PRIVATE KEY-----' (PKCS#8) block");
        }
        int start = pem.indexOf("-----BEGIN " + type + "-----") + ("-----BEGIN " + type + "-----").length();
        int end = pem.indexOf("-----END " + type + "-----", start);
        if (end < 0) {
            throw new IllegalArgumentException("the private key's PEM block has no '-----END " + type + "-----' line");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(pem.substring(start, end).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the private key's PEM block is not valid base64");
        }
        byte[] pkcs8 = type.equals("PRIVATE KEY") ? der : wrapPkcs1(der);
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the private key's PEM block is not an RSA private key ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** PKCS#8 PrivateKeyInfo around a PKCS#1 RSAPrivateKey: SEQUENCE { 0, rsaEncryption, OCTET STRING }. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.write(0x04);
        writeLength(body, pkcs1.length);
        body.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        writeLength(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length & 0xff);
        } else {
            out.write(0x83);
            out.write(length >> 16);
            out.write((length >> 8) & 0xff);
            out.write(length & 0xff);
        }
    }
}
