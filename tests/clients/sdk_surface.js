// Runs the official Public API SDK over the surface this product covers, pointed at a
// self-hosted server, and prints one JSON object: every call with its HTTP status and the
// ways its answer strays from the SDK's own types, and the values the test checks.
// Usage: BASE_URL=http://127.0.0.1:8000/api TOKEN=... RECEIVER_URL=http://... node sdk_surface.js
const PublicAPI = require('@segment/public-api-sdk-typescript');
const { problemsOf } = require('./sdk_types.js');

const apis = PublicAPI.configureApis(process.env.TOKEN);
for (const api of Object.values(apis)) api.basePath = process.env.BASE_URL;
const { sources, destinations, functions, auditTrail, catalog } = apis;

const calls = [];
const values = {};

async function call(op, model, promise) {
    try {
        const { response, body } = await promise;
        const problems = body && body.data !== undefined ? problemsOf(body, model) : ['no data'];
        calls.push({ op, status: response.statusCode, problems });
        return body.data;
    } catch (error) {
        const status = error.statusCode ?? error.response?.statusCode ?? null;
        calls.push({ op, status, problems: [`failed: ${JSON.stringify(error.body ?? String(error))}`] });
        return undefined;
    }
}

const SETTINGS = [
    { name: 'apiKey', label: 'API key', description: 'Key', type: 'STRING', required: true, sensitive: true },
];
const CODE = 'async function onTrack(event, settings) { return event }';

async function main() {
    const page = { count: 10 };
    const created = await call('createSource', 'CreateSource201Response',
        sources.createSource({ slug: 'sdk-app', enabled: true, metadataId: 'IqDTy1TpoU', settings: {} }));
    const sourceId = created.source.id;
    const got = await call('getSource', 'GetSource200Response', sources.getSource(sourceId));
    values.source = got.source;
    values.trackingPlanId = got.trackingPlanId;
    const listed = await call('listSources', 'ListSources200Response', sources.listSources(page));
    values.sourceSlugs = listed.sources.map((s) => s.slug);
    await call('updateSource', 'UpdateSource200Response',
        sources.updateSource(sourceId, { name: 'SDK app', enabled: true }));

    const dest = await call('createFunction(DESTINATION)', 'CreateFunction200Response',
        functions.createFunction({ code: CODE, displayName: 'SDK destination', resourceType: 'DESTINATION',
            settings: SETTINGS, logoUrl: 'https://cdn.example.com/sdk.png', description: 'from the SDK' }));
    const insert = await call('createFunction(INSERT_DESTINATION)', 'CreateFunction200Response',
        functions.createFunction({ code: CODE, displayName: 'SDK insert', resourceType: 'INSERT_DESTINATION' }));
    const destId = dest.function.id;
    const insertId = insert.function.id;
    await call('getFunction', 'GetFunction200Response', functions.getFunction(destId));
    for (const kind of ['DESTINATION', 'INSERT_DESTINATION', 'SOURCE']) {
        const data = await call(`listFunctions(${kind})`, 'ListFunctions200Response',
            functions.listFunctions({ count: 1 }, kind));
        values[`functions${kind}`] = data && data.functions.map((f) => f.id);
    }
    await call('updateFunction', 'UpdateFunction200Response',
        functions.updateFunction(destId, { code: CODE + '\n// v2' }));
    const versions = await call('listFunctionVersions', 'ListFunctionVersions200Response',
        functions.listFunctionVersions(destId, page));
    const first = versions.versions[versions.versions.length - 1];
    await call('getFunctionVersion', 'GetFunctionVersion200Response',
        functions.getFunctionVersion(destId, first.id));
    await call('restoreFunctionVersion', 'RestoreFunctionVersion200Response',
        functions.restoreFunctionVersion(destId, { versionId: first.id }));

    const destinationsCatalog = await call('getDestinationsCatalog', 'GetDestinationsCatalog200Response',
        catalog.getDestinationsCatalog(page));
    values.catalogIds = destinationsCatalog.destinationsCatalog.map((entry) => entry.id);
    await call('getDestinationMetadata', 'GetDestinationMetadata200Response',
        catalog.getDestinationMetadata(dest.function.catalogId));
    await call('getSourcesCatalog', 'GetSourcesCatalog200Response', catalog.getSourcesCatalog(page));
    await call('getSourceMetadata', 'GetSourceMetadata200Response', catalog.getSourceMetadata('http-api'));

    const hook = await call('createDestination(webhook)', 'CreateDestination200Response',
        destinations.createDestination({ sourceId, metadataId: 'webhook', name: 'Hook',
            settings: { url: process.env.RECEIVER_URL } }));
    const fnDest = await call('createDestination(function)', 'CreateDestination200Response',
        destinations.createDestination({ sourceId, metadataId: dest.function.catalogId,
            settings: { apiKey: 'key_0123456789' } }));
    values.functionDestinationMetadata = fnDest.destination.metadata;
    values.functionDestinationSettings = fnDest.destination.settings;
    values.webhookMetadata = (await call('getDestination', 'GetDestination200Response',
        destinations.getDestination(hook.destination.id))).destination.metadata;
    await call('listDestinations', 'ListDestinations200Response', destinations.listDestinations(page));
    await call('updateDestination', 'UpdateDestination200Response',
        destinations.updateDestination(fnDest.destination.id, { enabled: true }));

    const instance = await call('createInsertFunctionInstance', 'CreateInsertFunctionInstance200Response',
        functions.createInsertFunctionInstance({ functionId: insert.function.catalogId,
            integrationId: hook.destination.id, name: 'SDK insert instance', enabled: true, settings: {} }));
    const instanceId = instance.insertFunctionInstance.id;
    await call('getInsertFunctionInstance', 'GetInsertFunctionInstance200Response',
        functions.getInsertFunctionInstance(instanceId));
    await call('listInsertFunctionInstances', 'ListInsertFunctionInstances200Response',
        functions.listInsertFunctionInstances(page, insert.function.catalogId));
    await call('updateInsertFunctionInstance', 'UpdateInsertFunctionInstance200Response',
        functions.updateInsertFunctionInstance(instanceId, { enabled: false, settings: {} }));
    await call('createFunctionDeployment', 'CreateFunctionDeployment200Response',
        functions.createFunctionDeployment(destId));
    const deployed = await call('listFunctionVersions(after deploy)', 'ListFunctionVersions200Response',
        functions.listFunctionVersions(destId, page));
    values.deployedVersions = deployed.versions.filter((v) => v.isDeployed).map((v) => v.deployedAt);

    const events = await call('listAuditEvents', 'ListAuditEvents200Response',
        auditTrail.listAuditEvents({ count: 200 }));
    values.auditActorEmails = [...new Set(events.events.map((e) => typeof e.actorEmail))];
    const end = new Date();
    const start = new Date(end.getTime() - 3600 * 1000);
    await call('listDeliveryMetricsSummaryFromDestination', 'ListDeliveryMetricsSummaryFromDestination200Response',
        destinations.listDeliveryMetricsSummaryFromDestination(hook.destination.id, sourceId,
            start.toISOString(), end.toISOString(), 'HOUR'));

    await call('deleteInsertFunctionInstance', 'DeleteInsertFunctionInstance200Response',
        functions.deleteInsertFunctionInstance(instanceId));
    await call('deleteDestination', 'DeleteDestination200Response',
        destinations.deleteDestination(fnDest.destination.id));
    await call('deleteFunction', 'DeleteFunction200Response', functions.deleteFunction(insertId));
    // An operation this product lacks: a 404 in the envelope the SDK's unwrap() reads.
    values.uncovered = await PublicAPI.unwrap(sources.createWriteKeyForSource(sourceId))
        .then(() => 'answered', (error) => error);
    values.sourceIdToKeep = sourceId;
    values.webhookDestinationId = hook.destination.id;
}

main()
    .catch((error) => calls.push({ op: 'script', status: null, problems: [String(error.stack || error)] }))
    .finally(() => process.stdout.write(JSON.stringify({ calls, values })));
