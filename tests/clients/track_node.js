// Sends events with the official @segment/analytics-node library to a self-hosted tracking
// API and prints one JSON object: the HTTP statuses the library saw and any errors it emitted.
// Usage: HOST=http://127.0.0.1:8000 WRITE_KEY=... node track_node.js < calls.json
// where calls.json is a list of [method, params], e.g. ["track", {"userId": "u", "event": "x"}].
const { Analytics } = require('@segment/analytics-node');

async function main() {
    const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const analytics = new Analytics({
        writeKey: process.env.WRITE_KEY,
        host: process.env.HOST,
        flushAt: 50,
        flushInterval: 500,
        maxRetries: 1,
    });
    const statuses = [];
    const errors = [];
    analytics.on('http_response', (r) => statuses.push(r.status));
    analytics.on('error', (e) => errors.push(String(e.reason || e.message || e.code || e)));
    for (const [method, params] of calls) analytics[method](params);
    await analytics.closeAndFlush({ timeout: 20000 });
    process.stdout.write(JSON.stringify({ statuses, errors }));
}

main().catch((error) => {
    process.stdout.write(JSON.stringify({ statuses: [], errors: [String(error.stack || error)] }));
});
