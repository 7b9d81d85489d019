package org.leapformer;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of tests that share one engine manager per class; each test works in a sub-manager of it. */
public abstract class ManagedTest {

    protected static NDManager manager;

    @BeforeAll
    static void openManager() {
        manager = LeapEngine.newManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }
}
