// Shared by integration tests: reads the first `count` normal objects of a subscription or fetch
// (status objects such as end-of-group are skipped), then stops iterating (which cancels it).
import type { MoqtObject } from '../../main/moqt/session/index.js';

export async function collect(objects: AsyncIterable<MoqtObject>, count: number): Promise<MoqtObject[]> {
  const received: MoqtObject[] = [];
  for await (const object of objects) {
    if (object.status !== 'normal') continue;
    received.push(object);
    if (received.length === count) break;
  }
  return received;
}
