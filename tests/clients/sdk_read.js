// Reads back through the official Public API SDK what a test's events left: the source (with
// its write keys) and the destination's delivery metrics, each checked against the SDK's types.
// Usage: BASE_URL=... TOKEN=... SOURCE_ID=... DESTINATION_ID=... node sdk_read.js
const PublicAPI = require('@segment/public-api-sdk-typescript');
const { problemsOf } = require('./sdk_types.js');

const apis = PublicAPI.configureApis(process.env.TOKEN);
for (const api of Object.values(apis)) api.basePath = process.env.BASE_URL;

async function main() {
    const out = { problems: [] };
    const source = await apis.sources.getSource(process.env.SOURCE_ID);
    out.problems.push(...problemsOf(source.body, 'GetSource200Response'));
    out.writeKeys = source.body.data.source.writeKeys;
    const end = new Date();
    const start = new Date(end.getTime() - 3600 * 1000);
    const metrics = await apis.destinations.listDeliveryMetricsSummaryFromDestination(
        process.env.DESTINATION_ID, process.env.SOURCE_ID, start.toISOString(), end.toISOString(), 'HOUR');
    out.problems.push(...problemsOf(metrics.body, 'ListDeliveryMetricsSummaryFromDestination200Response'));
    out.metrics = Object.fromEntries(
        metrics.body.data.deliveryMetricsSummary.metrics.map((m) => [m.metricName, m.total]));
    process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
    process.stdout.write(JSON.stringify({ problems: [String(error.stack || JSON.stringify(error.body) || error)] }));
});
