package org.leapformer.nn;

import ai.djl.MalformedModelException;

/** The one check every block of this library makes when DJL loads its saved parameters. */
public final class BlockVersions {

    private BlockVersions() {}

    /**
     * @throws MalformedModelException naming the block, the expected and the found version
     */
    public static void require(String block, byte expected, byte found) throws MalformedModelException {
        if (found != expected) {
            throw new MalformedModelException(block + ": expected version " + expected + ", found " + found);
        }
    }
}
