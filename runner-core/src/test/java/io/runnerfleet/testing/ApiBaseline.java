package io.runnerfleet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericDeclaration;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The build's public-API check: renders every public or protected type, constructor, method and field
 * of a module's exported packages as one line of text and compares the lines with the module's
 * committed baseline, {@code api/<module>.api}, so that an API change is always a deliberate,
 * reviewed edit of that file.
 *
 * <p>Every published module runs it in {@code verify} (the {@code api-check} execution of
 * exec-maven-plugin in the parent pom, on the module's test classpath, which holds this class through
 * runner-core's test-jar). After a deliberate change, rewrite the baselines and commit them:
 *
 * <pre>{@code
 * ./mvnw -B -q verify -DskipTests -Dapi.update=true                     # every module
 * ./mvnw -B -q verify -DskipTests -Dapi.update=true -pl runner-github -am   # one module (and what it needs)
 * }</pre>
 *
 * <p>A line is {@code <binary type name>: <declaration>}, with generic types written out, for example
 * {@code io.runnerfleet.RunnerPool: public static io.runnerfleet.RunnerPool$Builder builder(java.lang.String)}.
 * Annotations, parameter names, constant values, Javadoc and overrides of {@code equals}, {@code hashCode}
 * and {@code toString} are not part of it; implied modifiers are
 * kept as reflection reports them, except that interfaces are not called abstract and enums neither
 * final, abstract nor sealed (which depends on whether a constant has a body). Lines are grouped by type, the
 * type's own line first. Lines starting with {@code #} are comments.
 */
public final class ApiBaseline {
    private static final int MODIFIERS =
            Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL | Modifier.ABSTRACT;

    private ApiBaseline() {
    }

    /**
     * Checks, or with {@code update} rewrites, a module's baseline; the entry point of the build's
     * {@code api-check} execution.
     *
     * @param args the compiled classes directory (with {@code module-info.class}), the baseline file,
     *     {@code true} to rewrite the baseline instead of checking it, and the module's artifact id
     * @throws ApiChangedException when the API differs from the baseline, or there is no baseline
     */
    public static void main(String[] args) {
        if (args.length != 4) {
            throw new IllegalArgumentException("ApiBaseline needs 4 arguments: <classes dir> <baseline file>"
                    + " <update: true|false> <artifact id>, got " + Arrays.toString(args));
        }
        Path classes = Path.of(args[0]);
        Path baseline = shorter(Path.of(args[1]));
        boolean update = Boolean.parseBoolean(args[2].strip());
        String artifactId = args[3];
        String result = update
                ? update(classes, baseline, artifactId, ApiBaseline.class.getClassLoader())
                : check(classes, baseline, artifactId, ApiBaseline.class.getClassLoader());
        System.out.println(result);
    }

    /**
     * Compares the API compiled into {@code classes} with {@code baseline}.
     *
     * @return a one-line summary when they match
     * @throws ApiChangedException naming every added and removed line, and how to accept them, when they
     *     differ or the baseline file does not exist
     */
    public static String check(Path classes, Path baseline, String artifactId, ClassLoader loader) {
        List<String> actual = signatures(classes, loader);
        String accept = "If the change is deliberate, accept it with\n"
                + "    ./mvnw -B -q verify -DskipTests -Dapi.update=true -pl " + artifactId + " -am\n"
                + "and commit " + baseline + " with the change.";
        if (!Files.isRegularFile(baseline)) {
            throw new ApiChangedException("The public API of " + artifactId + " has no baseline: " + baseline
                    + " does not exist (" + actual.size() + " signatures in the exported packages).\n" + accept);
        }
        List<String> expected = read(baseline);
        Set<String> added = new LinkedHashSet<>(actual);
        added.removeAll(expected);
        Set<String> removed = new LinkedHashSet<>(expected);
        removed.removeAll(actual);
        if (added.isEmpty() && removed.isEmpty()) {
            return artifactId + ": public API matches " + baseline.getFileName() + " (" + actual.size()
                    + " signatures)";
        }
        StringBuilder message = new StringBuilder("The public API of ").append(artifactId)
                .append(" differs from its baseline ").append(baseline).append(": ")
                .append(added.size()).append(" added, ").append(removed.size()).append(" removed.\n");
        if (!added.isEmpty()) {
            message.append("Added (in the compiled classes, not in the baseline):\n");
            added.forEach(line -> message.append("  + ").append(line).append('\n'));
        }
        if (!removed.isEmpty()) {
            message.append("Removed (in the baseline, not in the compiled classes; users relying on these break):\n");
            removed.forEach(line -> message.append("  - ").append(line).append('\n'));
        }
        throw new ApiChangedException(message.append(accept).toString());
    }

    /**
     * Writes the API compiled into {@code classes} to {@code baseline}, creating its directory, unless
     * the file already holds exactly that text.
     *
     * @return a one-line summary of what was done
     */
    public static String update(Path classes, Path baseline, String artifactId, ClassLoader loader) {
        List<String> actual = signatures(classes, loader);
        String text = "# Public API of " + artifactId + " (exported packages: "
                + String.join(", ", exportedPackages(classes)) + "), checked by ./mvnw verify.\n"
                + "# After a deliberate change: ./mvnw -B -q verify -DskipTests -Dapi.update=true -pl "
                + artifactId + " -am\n"
                + actual.stream().map(line -> line + "\n").collect(Collectors.joining());
        try {
            if (Files.isRegularFile(baseline) && Files.readString(baseline, StandardCharsets.UTF_8).equals(text)) {
                return artifactId + ": " + baseline + " is up to date (" + actual.size() + " signatures)";
            }
            List<String> before = Files.isRegularFile(baseline) ? read(baseline) : List.of();
            Files.createDirectories(baseline.toAbsolutePath().getParent());
            Files.writeString(baseline, text, StandardCharsets.UTF_8);
            long added = actual.stream().filter(line -> !before.contains(line)).count();
            long removed = before.stream().filter(line -> !actual.contains(line)).count();
            return artifactId + ": wrote " + baseline + " (" + actual.size() + " signatures, " + added + " added, "
                    + removed + " removed); review and commit it";
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the API baseline " + baseline, e);
        }
    }

    /**
     * The packages {@code classes/module-info.class} exports to everyone, sorted (qualified exports
     * are not public API).
     *
     * @throws IllegalStateException when there is no {@code module-info.class}
     */
    public static List<String> exportedPackages(Path classes) {
        Path descriptor = classes.resolve("module-info.class");
        if (!Files.isRegularFile(descriptor)) {
            throw new IllegalStateException("No " + descriptor + ": the API check reads the exported packages"
                    + " from the compiled module-info; compile the module first");
        }
        try (InputStream in = Files.newInputStream(descriptor)) {
            return ModuleDescriptor.read(in).exports().stream()
                    .filter(export -> !export.isQualified())
                    .map(ModuleDescriptor.Exports::source)
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + descriptor, e);
        }
    }

    /**
     * The API lines of every public type (and its accessible nested types) in the exported packages
     * of the module compiled into {@code classes}, in baseline order.
     */
    public static List<String> signatures(Path classes, ClassLoader loader) {
        List<Class<?>> types = new ArrayList<>();
        for (String pkg : exportedPackages(classes)) {
            Path dir = classes.resolve(pkg.replace('.', '/'));
            try (Stream<Path> files = Files.list(dir)) {
                for (String file : files.map(f -> f.getFileName().toString())
                        .filter(name -> name.endsWith(".class") && !name.contains("$")
                                && !name.equals("package-info.class"))
                        .sorted()
                        .collect(Collectors.toList())) {
                    String name = pkg + "." + file.substring(0, file.length() - ".class".length());
                    types.add(Class.forName(name, false, loader));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot list the classes of exported package " + pkg + " in " + dir, e);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("A class file in " + dir + " is not on the classpath: " + e.getMessage()
                        + "; run the check with the module's classes on the classpath", e);
            }
        }
        return signatures(types);
    }

    /** The API lines of {@code types} that are public, and of their accessible nested types, in baseline order. */
    public static List<String> signatures(Collection<Class<?>> types) {
        TreeMap<String, List<String>> byType = new TreeMap<>();
        types.stream().filter(type -> Modifier.isPublic(type.getModifiers()))
                .forEach(type -> collect(type, byType));
        List<String> lines = new ArrayList<>();
        byType.values().forEach(lines::addAll);
        return lines;
    }

    private static void collect(Class<?> type, TreeMap<String, List<String>> byType) {
        String owner = type.getName() + ": ";
        TreeSet<String> members = new TreeSet<>();
        for (Field field : type.getDeclaredFields()) {
            if (accessible(field)) {
                members.add(owner + modifiers(field.getModifiers()) + name(field.getGenericType()) + " "
                        + field.getName());
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (accessible(constructor)) {
                members.add(owner + modifiers(constructor.getModifiers()) + typeParameters(constructor)
                        + type.getSimpleName() + parameters(constructor) + exceptions(constructor));
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (accessible(method) && !method.isBridge() && !objectMethod(method)) {
                String modifiers = modifiers(method.getModifiers()) + (method.isDefault() ? "default " : "");
                members.add(owner + modifiers + typeParameters(method) + name(method.getGenericReturnType()) + " "
                        + method.getName() + parameters(method) + exceptions(method));
            }
        }
        List<String> lines = new ArrayList<>();
        lines.add(owner + declaration(type));
        lines.addAll(members);
        byType.put(type.getName(), lines);
        for (Class<?> nested : type.getDeclaredClasses()) {
            int mods = nested.getModifiers();
            if ((Modifier.isPublic(mods) || Modifier.isProtected(mods)) && !nested.isSynthetic()) {
                collect(nested, byType);
            }
        }
    }

    /** equals, hashCode and toString exist on every type: declaring or dropping an override is no API change. */
    private static boolean objectMethod(Method method) {
        String name = method.getName();
        Class<?>[] parameters = method.getParameterTypes();
        return parameters.length == 0 && (name.equals("hashCode") || name.equals("toString"))
                || parameters.length == 1 && parameters[0] == Object.class && name.equals("equals");
    }

    private static boolean accessible(Member member) {
        int mods = member.getModifiers();
        return (Modifier.isPublic(mods) || Modifier.isProtected(mods)) && !member.isSynthetic();
    }

    private static String declaration(Class<?> type) {
        int mods = type.getModifiers();
        String kind;
        if (type.isAnnotation()) {
            kind = "@interface";
            mods &= ~Modifier.ABSTRACT;
        } else if (type.isInterface()) {
            kind = "interface";
            mods &= ~Modifier.ABSTRACT;
        } else if (type.isEnum()) {
            kind = "enum";
            mods &= ~(Modifier.ABSTRACT | Modifier.FINAL);
        } else if (type.isRecord()) {
            kind = "record";
        } else {
            kind = "class";
        }
        StringBuilder line = new StringBuilder(modifiers(mods));
        // An enum whose constants have bodies is sealed, permitting those anonymous classes: no API.
        boolean sealed = type.isSealed() && !type.isEnum();
        if (sealed) {
            line.append("sealed ");
        }
        line.append(kind).append(typeParameters(type));
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && superclass != Object.class && superclass != Record.class
                && !(type.isEnum() && type.getSuperclass() == Enum.class)) {
            line.append(" extends ").append(name(superclass));
        }
        List<String> interfaces = Arrays.stream(type.getGenericInterfaces())
                .filter(i -> !(type.isAnnotation() && i == java.lang.annotation.Annotation.class))
                .map(ApiBaseline::name).sorted().collect(Collectors.toList());
        if (!interfaces.isEmpty()) {
            line.append(type.isInterface() ? " extends " : " implements ").append(String.join(", ", interfaces));
        }
        if (sealed) {
            line.append(" permits ").append(Arrays.stream(type.getPermittedSubclasses())
                    .map(Class::getName).sorted().collect(Collectors.joining(", ")));
        }
        return line.toString();
    }

    private static String modifiers(int mods) {
        String text = Modifier.toString(mods & MODIFIERS);
        return text.isEmpty() ? "" : text + " ";
    }

    private static String typeParameters(GenericDeclaration declaration) {
        TypeVariable<?>[] variables = declaration.getTypeParameters();
        if (variables.length == 0) {
            return "";
        }
        String list = Arrays.stream(variables).map(variable -> {
            List<String> bounds = Arrays.stream(variable.getBounds()).filter(bound -> bound != Object.class)
                    .map(ApiBaseline::name).collect(Collectors.toList());
            return bounds.isEmpty() ? variable.getName() : variable.getName() + " extends " + String.join(" & ", bounds);
        }).collect(Collectors.joining(", ", "<", ">"));
        return declaration instanceof Class ? list : list + " ";
    }

    private static String parameters(Executable executable) {
        Type[] types = executable.getGenericParameterTypes();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            String name = name(types[i]);
            if (executable.isVarArgs() && i == types.length - 1 && name.endsWith("[]")) {
                name = name.substring(0, name.length() - 2) + "...";
            }
            names.add(name);
        }
        return names.stream().collect(Collectors.joining(", ", "(", ")"));
    }

    private static String exceptions(Executable executable) {
        Type[] thrown = executable.getGenericExceptionTypes();
        if (thrown.length == 0) {
            return "";
        }
        return " throws " + Arrays.stream(thrown).map(ApiBaseline::name).sorted().collect(Collectors.joining(", "));
    }

    private static String name(Type type) {
        return type.getTypeName();
    }

    /** {@code path} relative to the working directory (the build's root) when it lies below it, for messages. */
    private static Path shorter(Path path) {
        Path here = Path.of("").toAbsolutePath();
        Path absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(here) ? here.relativize(absolute) : absolute;
    }

        private static List<String> read(Path baseline) {
        try {
            return Files.readAllLines(baseline, StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the API baseline " + baseline, e);
        }
    }

    /** The public API differs from the committed baseline; the message lists the difference. */
    public static final class ApiChangedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ApiChangedException(String message) {
            super(message);
        }
    }
}
