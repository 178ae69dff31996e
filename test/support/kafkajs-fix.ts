// Every e2e and integration file's kafkajs clients (the tests' own readers and admins, not only the
// app's) get the fixes the app applies: no 1 ms timer re-armed on a connection for its life (and no
// TimeoutNegativeWarning on Node 24), and no socket left open by a consumer that lived through a
// broker restart: src/platform/kafka/kafkajs-request-queue-fix.ts, kafkajs-removed-broker-fix.ts.
import { fixKafkajsRemovedBrokers } from '../../src/platform/kafka/kafkajs-removed-broker-fix';
import { fixKafkajsRequestQueue } from '../../src/platform/kafka/kafkajs-request-queue-fix';

fixKafkajsRequestQueue();
fixKafkajsRemovedBrokers();
