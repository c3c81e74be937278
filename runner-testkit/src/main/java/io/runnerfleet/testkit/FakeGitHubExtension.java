package io.runnerfleet.testkit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that injects a started {@link FakeGitHub} into test methods and closes it after
 * each test.
 *
 * <pre>{@code
 * @ExtendWith(FakeGitHubExtension.class)
 * class MyFleetTest {
 *     @Test void registers(FakeGitHub github) {
 *         github.organization("acme");
 *     }
 * }
 * }</pre>
 *
 * <p>Each test method gets its own fake with the defaults of {@link FakeGitHub#builder()}; asking for
 * it twice in one method (a parameter of the test and of a {@code @BeforeEach}) returns the same one.
 * Tests that need a {@link FakeClock} build their own fake instead.
 */
public final class FakeGitHubExtension implements ParameterResolver, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(FakeGitHubExtension.class);

    /** Creates the extension (JUnit does this). */
    public FakeGitHubExtension() {
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == FakeGitHub.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(key(context), k -> FakeGitHub.create().start(),
                FakeGitHub.class);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        FakeGitHub fake = context.getStore(NAMESPACE).remove(key(context), FakeGitHub.class);
        if (fake != null) {
            fake.close();
        }
    }

    private static String key(ExtensionContext context) {
        return "fake-github:" + context.getUniqueId().replaceAll("/\\[method:.*$", "")
                + context.getTestMethod().map(m -> "#" + m.getName()).orElse("");
    }
}
