package dev.vconn.domain.tls;

import java.nio.ByteBuffer;
import java.security.Principal;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;

/**
 * The JDK's engines, each wrapped so that every call a TLS VConn makes goes to the JDK engine unchanged, counting how
 * often the sessions were asked for the peer's certificates (a question that throws when the peer sent none).
 */
final class CountingEngineProvider implements TlsEngineProvider {
    final AtomicInteger peerCertificateQueries = new AtomicInteger();

    @Override
    public String name() {
        return "counting-jdk";
    }

    @Override
    public Engines engines(TlsEngineSettings settings) {
        Engines jdk = TlsEngineProvider.jdk().engines(settings);
        return (peerHost, peerPort) -> new CountingEngine(jdk.newEngine(peerHost, peerPort));
    }

    private final class CountingEngine extends SSLEngine {
        private final SSLEngine e;

        CountingEngine(SSLEngine e) {
            super(e.getPeerHost(), e.getPeerPort());
            this.e = e;
        }

        @Override
        public SSLEngineResult wrap(ByteBuffer[] srcs, int offset, int length, ByteBuffer dst) throws SSLException {
            return e.wrap(srcs, offset, length, dst);
        }

        @Override
        public SSLEngineResult unwrap(ByteBuffer src, ByteBuffer[] dsts, int offset, int length) throws SSLException {
            return e.unwrap(src, dsts, offset, length);
        }

        @Override
        public Runnable getDelegatedTask() {
            return e.getDelegatedTask();
        }

        @Override
        public void closeInbound() throws SSLException {
            e.closeInbound();
        }

        @Override
        public boolean isInboundDone() {
            return e.isInboundDone();
        }

        @Override
        public void closeOutbound() {
            e.closeOutbound();
        }

        @Override
        public boolean isOutboundDone() {
            return e.isOutboundDone();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return e.getSupportedCipherSuites();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return e.getEnabledCipherSuites();
        }

        @Override
        public void setEnabledCipherSuites(String[] suites) {
            e.setEnabledCipherSuites(suites);
        }

        @Override
        public String[] getSupportedProtocols() {
            return e.getSupportedProtocols();
        }

        @Override
        public String[] getEnabledProtocols() {
            return e.getEnabledProtocols();
        }

        @Override
        public void setEnabledProtocols(String[] protocols) {
            e.setEnabledProtocols(protocols);
        }

        @Override
        public SSLSession getSession() {
            return new CountingSession((ExtendedSSLSession) e.getSession());
        }

        @Override
        public SSLSession getHandshakeSession() {
            return e.getHandshakeSession();
        }

        @Override
        public void beginHandshake() throws SSLException {
            e.beginHandshake();
        }

        @Override
        public SSLEngineResult.HandshakeStatus getHandshakeStatus() {
            return e.getHandshakeStatus();
        }

        @Override
        public void setUseClientMode(boolean mode) {
            e.setUseClientMode(mode);
        }

        @Override
        public boolean getUseClientMode() {
            return e.getUseClientMode();
        }

        @Override
        public void setNeedClientAuth(boolean need) {
            e.setNeedClientAuth(need);
        }

        @Override
        public boolean getNeedClientAuth() {
            return e.getNeedClientAuth();
        }

        @Override
        public void setWantClientAuth(boolean want) {
            e.setWantClientAuth(want);
        }

        @Override
        public boolean getWantClientAuth() {
            return e.getWantClientAuth();
        }

        @Override
        public void setEnableSessionCreation(boolean flag) {
            e.setEnableSessionCreation(flag);
        }

        @Override
        public boolean getEnableSessionCreation() {
            return e.getEnableSessionCreation();
        }

        @Override
        public SSLParameters getSSLParameters() {
            return e.getSSLParameters();
        }

        @Override
        public void setSSLParameters(SSLParameters params) {
            e.setSSLParameters(params);
        }

        @Override
        public String getApplicationProtocol() {
            return e.getApplicationProtocol();
        }

        @Override
        public String getHandshakeApplicationProtocol() {
            return e.getHandshakeApplicationProtocol();
        }
    }

    private final class CountingSession extends ExtendedSSLSession {
        private final ExtendedSSLSession s;

        CountingSession(ExtendedSSLSession s) {
            this.s = s;
        }

        @Override
        public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
            peerCertificateQueries.incrementAndGet();
            return s.getPeerCertificates();
        }

        @Override
        public List<SNIServerName> getRequestedServerNames() {
            return s.getRequestedServerNames();
        }

        @Override
        public String[] getLocalSupportedSignatureAlgorithms() {
            return s.getLocalSupportedSignatureAlgorithms();
        }

        @Override
        public String[] getPeerSupportedSignatureAlgorithms() {
            return s.getPeerSupportedSignatureAlgorithms();
        }

        @Override
        public byte[] getId() {
            return s.getId();
        }

        @Override
        public SSLSessionContext getSessionContext() {
            return s.getSessionContext();
        }

        @Override
        public long getCreationTime() {
            return s.getCreationTime();
        }

        @Override
        public long getLastAccessedTime() {
            return s.getLastAccessedTime();
        }

        @Override
        public void invalidate() {
            s.invalidate();
        }

        @Override
        public boolean isValid() {
            return s.isValid();
        }

        @Override
        public void putValue(String name, Object value) {
            s.putValue(name, value);
        }

        @Override
        public Object getValue(String name) {
            return s.getValue(name);
        }

        @Override
        public void removeValue(String name) {
            s.removeValue(name);
        }

        @Override
        public String[] getValueNames() {
            return s.getValueNames();
        }

        @Override
        public Certificate[] getLocalCertificates() {
            return s.getLocalCertificates();
        }

        @Override
        public Principal getPeerPrincipal() throws SSLPeerUnverifiedException {
            return s.getPeerPrincipal();
        }

        @Override
        public Principal getLocalPrincipal() {
            return s.getLocalPrincipal();
        }

        @Override
        public String getCipherSuite() {
            return s.getCipherSuite();
        }

        @Override
        public String getProtocol() {
            return s.getProtocol();
        }

        @Override
        public String getPeerHost() {
            return s.getPeerHost();
        }

        @Override
        public int getPeerPort() {
            return s.getPeerPort();
        }

        @Override
        public int getPacketBufferSize() {
            return s.getPacketBufferSize();
        }

        @Override
        public int getApplicationBufferSize() {
            return s.getApplicationBufferSize();
        }
    }
}
