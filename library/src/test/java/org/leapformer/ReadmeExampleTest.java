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
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example in the README compiles against the library and prints what the README says. */
class ReadmeExampleTest {

    @Test
    void everyReadmeJavaExampleCompilesRunsAndPrintsWhatTheReadmeSays(@TempDir Path dir) throws Exception {
        Path readme = Path.of(System.getProperty("leap.readme", "../README.md"));
        String text = Files.readString(readme);
        int examples = 0;
        for (int marker = text.indexOf(MARKER); marker >= 0; marker = text.indexOf(MARKER, marker + 1)) {
            int start = text.indexOf("```java\n", marker) + "```java\n".length();
            int end = text.indexOf("```", start);
            String source = text.substring(start, end);
            Matcher name = Pattern.compile("public class (\\w+)").matcher(source);
            assertTrue(name.find(), "an example declares a public class");
            Path classes = Files.createDirectories(dir.resolve(name.group(1)));
            Path file = classes.resolve(name.group(1) + ".java");
            Files.writeString(file, source);

            JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
            ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
            int code = javac.run(null, diagnostics, diagnostics, "-cp", System.getProperty("java.class.path"), "-d",
                    classes.toString(), file.toString());
            assertEquals(0, code, "the README example " + name.group(1) + " does not compile:\n" + diagnostics);

            PrintStream original = System.out;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
                    getClass().getClassLoader())) {
                Method main = loader.loadClass(name.group(1)).getMethod("main", String[].class);
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                main.invoke(null, (Object) new String[0]);
            } finally {
                System.setOut(original);
            }
            String printed = out.toString(StandardCharsets.UTF_8).trim();
            // the README states the output right after the block: "It prints `line`, `line` and `line`."
            String after = text.substring(end);
            int says = after.indexOf("It prints");
            assertTrue(says >= 0, "README does not say what " + name.group(1) + " prints");
            int paragraphEnd = after.indexOf("\n\n", says);
            String promise = after.substring(says, paragraphEnd < 0 ? after.length() : paragraphEnd).replace('\n', ' ');
            List<String> expected = new ArrayList<>();
            Matcher quoted = Pattern.compile("`([^`]+)`").matcher(promise);
            while (quoted.find()) {
                expected.add(quoted.group(1));
            }
            assertEquals(expected, printed.lines().toList(), name.group(1) + " prints what the README says");
            examples++;
        }
        assertTrue(examples >= 2, "README examples found: " + examples);
    }

    private static final String MARKER = "<!-- readme-example -->";
}
