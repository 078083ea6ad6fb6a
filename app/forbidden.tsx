import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-lg p-8">
      <h1 className="text-xl font-semibold">Not allowed</h1>
      <p className="mt-2">Your role does not allow this page. The attempt was recorded in the audit log.</p>
      <Link href="/" className="mt-4 inline-block text-sky-600 underline">
        Back to the dashboard
      </Link>
    </main>
  );
}
