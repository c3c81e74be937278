package io.runnerfleet.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validates response bodies against the official OpenAPI description bundled in the testkit jar,
 * with networknt's json-schema-validator in the OpenAPI 3.0 dialect (so {@code nullable} counts).
 */
final class SpecValidator {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private final JsonNode spec;
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4,
            b -> b.metaSchema(OpenApi30.getInstance()).defaultMetaSchemaIri(OpenApi30.getInstance().getIri()));
    private final Map<String, JsonSchema> cache = new LinkedHashMap<>();

    /** Operation id to its method, path and operation node. */
    final Map<String, JsonNode> operations = new LinkedHashMap<>();

    SpecValidator() {
        this.spec = read("/io/runnerfleet/testkit/runners-openapi.json");
        Iterator<Map.Entry<String, JsonNode>> paths = spec.get("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> p = paths.next();
            p.getValue().fields().forEachRemaining(m -> {
                if (m.getValue().has("operationId")) {
                    operations.put(m.getValue().get("operationId").asText(), m.getValue());
                }
            });
        }
    }

    static JsonNode read(String resource) {
        try (InputStream in = SpecValidator.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The status codes the spec declares for an operation. */
    Set<Integer> declared(String operationId) {
        Set<Integer> out = new TreeSet<>();
        operation(operationId).get("responses").fieldNames().forEachRemaining(s -> out.add(Integer.parseInt(s)));
        return out;
    }

    private JsonNode operation(String operationId) {
        JsonNode op = operations.get(operationId);
        if (op == null) {
            throw new AssertionError("the spec has no operation " + operationId);
        }
        return op;
    }

    /** Validation problems of a body against a named component schema (e.g. {@code basic-error}). */
    List<String> problemsAgainst(String component, String body) {
        JsonSchema schema = cache.computeIfAbsent("component " + component, k -> {
            ObjectNode wrapper = MAPPER.createObjectNode();
            wrapper.putArray("allOf").addObject().put("$ref", "#/components/schemas/" + component);
            wrapper.set("components", spec.get("components"));
            return factory.getSchema(URI.create("urn:runnerfleet:component:" + component), wrapper);
        });
        List<String> out = new ArrayList<>();
        try {
            for (ValidationMessage m : schema.validate(MAPPER.readTree(body))) {
                out.add(component + ": " + m.getMessage());
            }
        } catch (IOException e) {
            out.add(component + " body is not JSON: " + body);
        }
        return out;
    }

    /** Validation problems of a response; empty when it matches the declared status and schema. */
    List<String> problems(String operationId, int status, String body) {
        List<String> out = new ArrayList<>();
        JsonNode response = operation(operationId).get("responses").get(String.valueOf(status));
        if (response == null) {
            out.add(operationId + " does not declare status " + status + " (declared: " + declared(operationId) + ")");
            return out;
        }
        if (response.has("$ref")) {
            String name = response.get("$ref").asText().replace("#/components/responses/", "");
            response = spec.get("components").get("responses").get(name);
        }
        JsonNode schemaNode = response.path("content").path("application/json").path("schema");
        if (schemaNode.isMissingNode()) {
            if (body != null && !body.isBlank()) {
                out.add(operationId + " " + status + " declares no body but got: " + body);
            }
            return out;
        }
        JsonSchema schema = cache.computeIfAbsent(operationId + " " + status, k -> {
            ObjectNode wrapper = MAPPER.createObjectNode();
            wrapper.putArray("allOf").add(schemaNode);
            wrapper.set("components", spec.get("components"));
            return factory.getSchema(URI.create("urn:runnerfleet:spec:" + Math.abs(k.hashCode())), wrapper);
        });
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (IOException e) {
            out.add(operationId + " " + status + " body is not JSON: " + body);
            return out;
        }
        for (ValidationMessage m : schema.validate(node)) {
            out.add(operationId + " " + status + ": " + m.getMessage());
        }
        return out;
    }
}
