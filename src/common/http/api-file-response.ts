import { ApiOkResponse } from '@nestjs/swagger';

export const CSV_MEDIA_TYPE = 'text/csv';
export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const HTML_MEDIA_TYPE = 'text/html';

/** A 200 whose body is a file (CSV, XLSX, HTML…): binary in the document, one entry per media type. */
export function ApiFileResponse(description: string, ...mediaTypes: string[]) {
  return ApiOkResponse({
    description,
    content: Object.fromEntries(mediaTypes.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
  });
}
