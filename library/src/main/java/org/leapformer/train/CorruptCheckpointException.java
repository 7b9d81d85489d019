package org.leapformer.train;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file that is truncated, damaged or not a checkpoint at all. */
public final class CorruptCheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    CorruptCheckpointException(Path file, String what, Throwable cause) {
        super("checkpoint " + file + " is corrupt or not a LeaPformer checkpoint: " + what, cause);
    }
}
