import { describe, expect, it } from 'vitest';
import type { StoredResponse } from '../db/responses.ts';
import { continuedContext, pageItems, responseNotFound } from './conversation.ts';
import type { ContextItem, MessageItem } from './types.ts';

function message(id: string, role: MessageItem['role'] = 'user'): ContextItem {
  return { id, type: 'message', role, status: 'completed', content: [{ type: 'input_text', text: id }] };
}

describe('continuedContext', () => {
  it('is the previous context, then its output, then the new input', () => {
    const previous: StoredResponse = {
      id: 'resp_1',
      scope: { userId: 'u', endUser: undefined },
      previousResponseId: null,
      inputItems: [message('a')],
      response: { output: [message('b', 'assistant')] },
    };
    expect(continuedContext(previous, [message('c')]).map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(continuedContext(null, [message('c')]).map((item) => item.id)).toEqual(['c']);
  });

  it('refuses a conversation grown past the item limit, naming previous_response_id', () => {
    const previous: StoredResponse = {
      id: 'resp_1',
      scope: { userId: 'u', endUser: undefined },
      previousResponseId: null,
      inputItems: Array.from({ length: 4096 }, (_, i) => message(`m${i}`)),
      response: { output: [] },
    };
    expect(() => continuedContext(previous, [message('c')])).toThrow(
      expect.objectContaining({ status: 400, param: 'previous_response_id' }),
    );
  });
});

describe('pageItems', () => {
  const items = ['a', 'b', 'c'].map((id) => message(id));
  it('lists newest first by default, pages with after, and says when there is more', () => {
    expect(pageItems(items, { limit: 2, order: 'desc', after: undefined })).toEqual({
      object: 'list',
      data: [items[2], items[1]],
      first_id: 'c',
      last_id: 'b',
      has_more: true,
    });
    expect(pageItems(items, { limit: 2, order: 'desc', after: 'b' })).toEqual({
      object: 'list',
      data: [items[0]],
      first_id: 'a',
      last_id: 'a',
      has_more: false,
    });
    expect(pageItems(items, { limit: 5, order: 'asc', after: undefined }).data.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(pageItems(items, { limit: 5, order: 'asc', after: 'nope' })).toMatchObject({ data: [], has_more: false });
  });
});

describe('responseNotFound', () => {
  it('says the same for every id, and never echoes a huge one', () => {
    expect(responseNotFound('resp_x').message.replace('resp_x', '<id>')).toBe(responseNotFound('resp_y').message.replace('resp_y', '<id>'));
    expect(responseNotFound('x'.repeat(500)).message).not.toContain('xxxx');
    expect(responseNotFound('resp_x', 'previous_response_id')).toMatchObject({
      status: 404,
      code: 'response_not_found',
      param: 'previous_response_id',
    });
  });
});
