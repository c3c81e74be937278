package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The shared OpenAPI contract, read at test time: operations, request schemas and response examples. */
final class Spec {
    static final Path DIR = locate();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNode ROOT = read("runners-openapi.json");

    /** One operation of the spec. */
    record Operation(String id, String method, String pathTemplate, JsonNode node) {
        /** The first 2xx status the spec declares. */
        int successStatus() {
            Iterator<String> it = node.path("responses").fieldNames();
            while (it.hasNext()) {
                String s = it.next();
                if (s.startsWith("2")) {
                    return Integer.parseInt(s);
                }
            }
            throw new AssertionError(id + " declares no 2xx response");
        }

        /** The example body of the success response, or {@code null} when it has none (204). */
        String successExample() {
            JsonNode content = resolve(node.path("responses").path(String.valueOf(successStatus())))
                    .path("content").path("application/json");
            if (content.isMissingNode()) {
                return null;
            }
            JsonNode example = resolve(content.path("examples").path("default"));
            return example.path("value").toString();
        }

        /** The request body's JSON schema, or {@code null}. */
        JsonNode requestSchema() {
            JsonNode schema = node.path("requestBody").path("content").path("application/json").path("schema");
            return schema.isMissingNode() ? null : schema;
        }
    }

    private Spec() {
    }

    // The testkit keeps byte-for-byte copies of the official contract files as resources: read those, inside
    // the repository, so that a clean checkout needs nothing beside it.
    private static Path locate() {
        Path dir = Path.of("../runner-testkit/src/main/resources/io/runnerfleet/testkit");
        if (Files.isRegularFile(dir.resolve("runners-openapi.json"))) {
            return dir;
        }
        throw new IllegalStateException("the GitHub API contract runners-openapi.json was not found in " + dir.toAbsolutePath()
                + " (the runner-testkit module beside runner-github); run the tests from the runner-github module directory");
    }

    static JsonNode read(String file) {
        try {
            return MAPPER.readTree(Files.readString(DIR.resolve(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DIR.resolve(file), e);
        }
    }

    static JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        JsonNode n = ROOT;
        for (String part : ref.asText().substring(2).split("/")) {
            n = n.path(part);
        }
        return resolve(n);
    }

    /** Every operation, keyed by operationId, in spec order. */
    static Map<String, Operation> operations() {
        Map<String, Operation> out = new LinkedHashMap<>();
        ROOT.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            String method = op.getKey().toUpperCase();
            if (List.of("GET", "POST", "PUT", "PATCH", "DELETE").contains(method)) {
                String id = op.getValue().path("operationId").asText();
                out.put(id, new Operation(id, method, path.getKey(), op.getValue()));
            }
        }));
        return out;
    }

    static Operation operation(String id) {
        Operation op = operations().get(id);
        if (op == null) {
            throw new AssertionError("no operation " + id + " in the spec");
        }
        return op;
    }

    static String example(String name) {
        return ROOT.path("components").path("examples").path(name).path("value").toString();
    }

    /** Asserts {@code body} satisfies the operation's request schema. */
    static void assertValidRequestBody(Operation op, String body) {
        JsonNode schema = op.requestSchema();
        assertThat(schema).as("%s has a request schema", op.id()).isNotNull();
        JsonSchema validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(schema);
        try {
            Set<ValidationMessage> errors = validator.validate(MAPPER.readTree(body));
            assertThat(errors).as("request body of %s: %s", op.id(), body).isEmpty();
        } catch (IOException e) {
            throw new AssertionError("request body of " + op.id() + " is not JSON: " + body, e);
        }
    }

    /** Validates {@code json} against {@code schema} (2020-12) and returns the problems. */
    static List<String> problems(JsonNode schema, String json) {
        try {
            JsonSchema validator = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schema);
            List<String> out = new ArrayList<>();
            validator.validate(MAPPER.readTree(json)).forEach(m -> out.add(m.getMessage()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
