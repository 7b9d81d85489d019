package org.leapformer.ops;

/**
 * How a linear attention is normalised and chunked.
 *
 * @param blocks number of feature blocks of the feature map (2 for sin/cos features)
 * @param clamp lower bound of the denominator: 0.1 as in the fairseq code, null for none (as in
 *     the LRA code). Without a clamp, a row whose denominator is exactly 0 (all its keys or its
 *     query all-zero after ReLU) outputs 0 instead of 0/0.
 * @param chunkSize C, the chunk length of the chunked form
 */
public record LinearSpec(int blocks, Double clamp, int chunkSize) {

    /** fairseq's clamp. */
    public static final double DEFAULT_CLAMP = 0.1;
    /** Default chunk length of the chunked form. */
    public static final int DEFAULT_CHUNK = 64;

    public LinearSpec {
        Checks.require(blocks > 0, "feature blocks", "a positive count", blocks);
        Checks.clamp(clamp);
        Checks.chunkSize(chunkSize);
    }

    /** Sin/cos features (LeaP, cosFormer), clamp 0.1, chunks of 64. */
    public static LinearSpec reweighted() {
        return new LinearSpec(2, DEFAULT_CLAMP, DEFAULT_CHUNK);
    }

    public LinearSpec withClamp(Double newClamp) {
        return new LinearSpec(blocks, newClamp, chunkSize);
    }

    public LinearSpec withChunkSize(int newChunk) {
        return new LinearSpec(blocks, clamp, newChunk);
    }
}
