// A model's price, as the PerpetualDeployment's models[].pricing spells it and as the operator
// hands it to the gateway in its configuration file: one schema, so the two cannot drift. A small
// module of its own, because the gateway loads it (through gateway-config.ts) and must not pull
// the whole CRD schema in.
import Type from 'typebox';

export function modelPricing(options: { additionalProperties?: false } = {}) {
  return Type.Object(
    {
      inputPerMillionTokens: Type.Number({ description: 'USD per million prompt tokens.', minimum: 0 }),
      outputPerMillionTokens: Type.Number({ description: 'USD per million completion tokens.', minimum: 0 }),
      cachedInputPerMillionTokens: Type.Optional(
        Type.Number({
          description: "USD per million prompt tokens read from the provider's prompt cache; inputPerMillionTokens when absent.",
          minimum: 0,
        }),
      ),
      cacheWritePerMillionTokens: Type.Optional(
        Type.Number({
          description:
            "USD per million prompt tokens written to the provider's prompt cache (Anthropic); inputPerMillionTokens when absent.",
          minimum: 0,
        }),
      ),
    },
    { description: 'Price used for usage_logs.cost_usd and perpetual_cost_usd_total.', ...options },
  );
}
