import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/http/logger.ts';

describe('redactUrl', () => {
  it.each([
    'verification_code',
    'code',
    'otp',
    'token',
    'access_token',
    'id_token',
    'id_token_hint',
    'refresh_token',
    'client_secret',
    'login_ticket',
    'code_verifier',
    'co_verifier',
    'password',
  ])('hides the value of %s, first or later in the query', (name) => {
    expect(redactUrl(`/x?${name}=s3cret`)).toBe(`/x?${name}=[redacted]`);
    expect(redactUrl(`/x?a=1&${name}=s3cret&b=2`)).toBe(`/x?a=1&${name}=[redacted]&b=2`);
  });

  it('redacts a whole magic link and keeps the rest readable', () => {
    const url =
      '/passwordless/verify_redirect?client_id=abc&connection=email&email=a%40b.co&verification_code=Zm9vYmFy-_x' +
      '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=st4te';
    expect(redactUrl(url)).toBe(
      '/passwordless/verify_redirect?client_id=abc&connection=email&email=a%40b.co&verification_code=[redacted]' +
        '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=st4te',
    );
  });

  it('redacts every occurrence, whatever the case of the name', () => {
    expect(redactUrl('/x?code=1&CODE=2&Otp=3')).toBe('/x?code=[redacted]&CODE=[redacted]&Otp=[redacted]');
  });

  it('stops at the fragment and redacts empty values', () => {
    expect(redactUrl('/x?code=abc#frag')).toBe('/x?code=[redacted]#frag');
    expect(redactUrl('/x?code=&state=s')).toBe('/x?code=[redacted]&state=s');
  });

  it('reads names as the query parser does: percent-encoded, with + for a space, in any case', () => {
    expect(redactUrl('/x?verification%5Fcode=s3cret&a=1')).toBe('/x?verification%5Fcode=[redacted]&a=1');
    expect(redactUrl('/x?%63%6F%64%65=s3cret')).toBe('/x?%63%6F%64%65=[redacted]');
    expect(redactUrl('/x?ID%5FTOKEN%5fHINT=eyJ.x.y')).toBe('/x?ID%5FTOKEN%5fHINT=[redacted]');
    expect(redactUrl('/v2/logout?id_token_hint=eyJ.x.y&returnTo=https%3A%2F%2Fa.example')).toBe(
      '/v2/logout?id_token_hint=[redacted]&returnTo=https%3A%2F%2Fa.example',
    );
    // A name with a broken escape is not a secret's name, and does not stop the rest being read.
    expect(redactUrl('/x?%E0%A4%A=1&otp=2')).toBe('/x?%E0%A4%A=1&otp=[redacted]');
    expect(redactUrl('/x?code+=1&code%20x=2')).toBe('/x?code+=1&code%20x=2');
  });

  it('leaves a name without a value as it is', () => {
    expect(redactUrl('/x?code&state=s')).toBe('/x?code&state=s');
  });

  it('leaves public parameters whose names only contain a secret name', () => {
    const url =
      '/authorize?code_challenge=abc&code_challenge_method=S256&response_type=code&token_type_hint=x';
    expect(redactUrl(url)).toBe(url);
    expect(redactUrl('/x?mycode=1&code2=2')).toBe('/x?mycode=1&code2=2');
  });

  it('leaves a URL without a query unchanged', () => {
    expect(redactUrl('/passwordless/start')).toBe('/passwordless/start');
    expect(redactUrl('/code=abc')).toBe('/code=abc');
  });
});
