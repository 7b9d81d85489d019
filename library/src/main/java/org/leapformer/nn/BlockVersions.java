package org.leapformer.nn;

import ai.djl.MalformedModelException;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

/**
 * What every block of this library does when DJL loads its saved parameters
 * ({@code Block.loadParameters}, {@code Model.load}, {@code Criteria.loadModel}): check the
 * version, read the input shapes DJL's {@code saveMetadata} wrote after it, and leave the loaded
 * parameters as {@code initialize} leaves them.
 */
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

    /**
     * Marks every loaded parameter array of {@code block} (and of its children) as requiring a
     * gradient when its parameter does, as {@code Parameter.initialize} does and DJL's
     * {@code Parameter.load} does not. Without it a loaded model would not train, and libtorch
     * would compute some products another way (its matmul folds batch dimensions only when the
     * weight needs no gradient), so outputs would differ from the saved model's in the last bits.
     */
    public static void afterLoad(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (parameter.isInitialized()
                    && parameter.getArray().hasGradient() != parameter.requiresGradient()) {
                parameter.getArray().setRequiresGradient(parameter.requiresGradient());
            }
        }
    }
}
