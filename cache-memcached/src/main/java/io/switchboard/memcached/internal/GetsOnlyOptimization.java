package io.switchboard.memcached.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import net.spy.memcached.ConnectionFactory;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.FailureMode;
import net.spy.memcached.HashAlgorithm;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.auth.AuthDescriptor;
import net.spy.memcached.metrics.MetricCollector;
import net.spy.memcached.metrics.MetricType;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.protocol.binary.BinaryMemcachedNodeImpl;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;
import net.spy.memcached.transcoders.Transcoder;

/**
 * A spymemcached connection factory whose binary-protocol nodes merge consecutive gets only.
 *
 * <p>With {@code shouldOptimize}, spymemcached 2.12.3's binary node also merges consecutive
 * stores to one server into a batch of quiet stores. A batch holding a compare-and-set or an add
 * that the server refuses loses track of which answer is whose: the next operations read another
 * operation's response ({@code Opaque is not valid}, {@code No read operation}), the connection is
 * dropped, and the operations in flight time out (seen as kit rule C19 timing out; reproduced by
 * {@code MemcachedRacedWritesIT}). Gets are merged as before, which is what the
 * {@code optimize-gets} setting promises. Everything else is the given factory's.
 */
public final class GetsOnlyOptimization implements ConnectionFactory {
    private final ConnectionFactory delegate;

    /** Wraps {@code delegate}, typically built by spymemcached's {@code ConnectionFactoryBuilder}. */
    public GetsOnlyOptimization(ConnectionFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public MemcachedConnection createConnection(List<InetSocketAddress> addrs) throws IOException {
        // As DefaultConnectionFactory does, but with this factory, so that the nodes are made here.
        return new MemcachedConnection(getReadBufSize(), this, addrs, getInitialObservers(), getFailureMode(),
                getOperationFactory());
    }

    @Override
    public MemcachedNode createMemcachedNode(SocketAddress sa, SocketChannel c, int bufSize) {
        if (!(getOperationFactory() instanceof BinaryOperationFactory)) {
            return delegate.createMemcachedNode(sa, c, bufSize); // the text node merges gets only anyway
        }
        return new GetsOnlyBinaryNode(sa, c, bufSize, createReadOperationQueue(), createWriteOperationQueue(),
                createOperationQueue(), getOpQueueMaxBlockTime(), getAuthDescriptor() != null, getOperationTimeout(),
                getAuthWaitTime(), this);
    }

    /** A binary node that leaves stores unmerged. */
    static final class GetsOnlyBinaryNode extends BinaryMemcachedNodeImpl {
        GetsOnlyBinaryNode(SocketAddress sa, SocketChannel c, int bufSize, BlockingQueue<Operation> rq,
                BlockingQueue<Operation> wq, BlockingQueue<Operation> iq, long opQueueMaxBlockTime, boolean waitForAuth,
                long operationTimeout, long authWaitTime, ConnectionFactory factory) {
            super(sa, c, bufSize, rq, wq, iq, opQueueMaxBlockTime, waitForAuth, operationTimeout, authWaitTime, factory);
        }

        @Override
        protected void optimize() {
            if (writeQ.peek() instanceof GetOperation) {
                super.optimize(); // merges the run of gets at the head of the queue, and nothing else
            }
        }
    }

    @Override
    public BlockingQueue<Operation> createOperationQueue() {
        return delegate.createOperationQueue();
    }

    @Override
    public BlockingQueue<Operation> createReadOperationQueue() {
        return delegate.createReadOperationQueue();
    }

    @Override
    public BlockingQueue<Operation> createWriteOperationQueue() {
        return delegate.createWriteOperationQueue();
    }

    @Override
    public long getOpQueueMaxBlockTime() {
        return delegate.getOpQueueMaxBlockTime();
    }

    @Override
    public ExecutorService getListenerExecutorService() {
        return delegate.getListenerExecutorService();
    }

    @Override
    public boolean isDefaultExecutorService() {
        return delegate.isDefaultExecutorService();
    }

    @Override
    public NodeLocator createLocator(List<MemcachedNode> nodes) {
        return delegate.createLocator(nodes);
    }

    @Override
    public OperationFactory getOperationFactory() {
        return delegate.getOperationFactory();
    }

    @Override
    public long getOperationTimeout() {
        return delegate.getOperationTimeout();
    }

    @Override
    public boolean isDaemon() {
        return delegate.isDaemon();
    }

    @Override
    public boolean useNagleAlgorithm() {
        return delegate.useNagleAlgorithm();
    }

    @Override
    public Collection<ConnectionObserver> getInitialObservers() {
        return delegate.getInitialObservers();
    }

    @Override
    public FailureMode getFailureMode() {
        return delegate.getFailureMode();
    }

    @Override
    public Transcoder<Object> getDefaultTranscoder() {
        return delegate.getDefaultTranscoder();
    }

    @Override
    public boolean shouldOptimize() {
        return delegate.shouldOptimize();
    }

    @Override
    public int getReadBufSize() {
        return delegate.getReadBufSize();
    }

    @Override
    public HashAlgorithm getHashAlg() {
        return delegate.getHashAlg();
    }

    @Override
    public long getMaxReconnectDelay() {
        return delegate.getMaxReconnectDelay();
    }

    @Override
    public AuthDescriptor getAuthDescriptor() {
        return delegate.getAuthDescriptor();
    }

    @Override
    public int getTimeoutExceptionThreshold() {
        return delegate.getTimeoutExceptionThreshold();
    }

    @Override
    public MetricType enableMetrics() {
        return delegate.enableMetrics();
    }

    @Override
    public MetricCollector getMetricCollector() {
        return delegate.getMetricCollector();
    }

    @Override
    public long getAuthWaitTime() {
        return delegate.getAuthWaitTime();
    }
}
