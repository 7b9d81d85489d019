package org.leapformer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example in the README compiles against the library and prints what the README says. */
class ReadmeExampleTest {

    @Test
    void theReadmeJavaExampleCompilesRunsAndPrintsWhatTheReadmeSays(@TempDir Path dir) throws Exception {
        Path readme = Path.of(System.getProperty("leap.readme", "../README.md"));
        String text = Files.readString(readme);
        int marker = text.indexOf("<!-- readme-example -->");
        assertTrue(marker >= 0, "README has no <!-- readme-example --> marker");
        int start = text.indexOf("```java\n", marker) + "```java\n".length();
        int end = text.indexOf("```", start);
        String source = text.substring(start, end);
        Path file = dir.resolve("LeapExample.java");
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int code = javac.run(null, diagnostics, diagnostics, "-cp", System.getProperty("java.class.path"), "-d",
                dir.toString(), file.toString());
        assertEquals(0, code, "the README example does not compile:\n" + diagnostics);

        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("LeapExample").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8).trim();
        // the README states the output right after the block
        String promised = text.substring(end).lines().filter(l -> l.startsWith("It prints `")).findFirst()
                .orElseThrow(() -> new AssertionError("README does not say what the example prints"));
        String expected = promised.substring("It prints `".length(), promised.lastIndexOf('`'));
        assertEquals(List.of(expected), printed.lines().toList());
    }
}
